// A wide table (20 rows x 1,000 columns) once took minutes in the copula's Jacobi
// eigensolver (issue 11): with LAPACK the decomposition is one O(d^3) call.
#include <gtest/gtest.h>

#include <cmath>

#include "medgen/core/linalg.h"
#include "medgen/core/rng.h"
#include "medgen/tabular/copula.h"

using namespace medgen;
using namespace medgen::tabular;

TEST(CopulaWide, TwentyRowsByThousandColumnsFitsWithAValidCorrelationMatrix) {
  const size_t rows = 20, cols = 1000;
  Schema schema;
  Table table;
  Rng rng(2);
  for (size_t c = 0; c < cols; ++c) {
    ColumnSchema cs;
    cs.name = "x" + std::to_string(c);
    schema.columns.push_back(cs);
    Column col = Column::numbers(cs.name, rows);
    for (size_t r = 0; r < rows; ++r) {
      col.values[r] = rng.normal() + (c % 2 ? 0.0 : 0.1 * static_cast<double>(r));  // some shared trend
      col.valid[r] = 1;
    }
    table.columns.push_back(std::move(col));
  }
  CopulaSynthesizer copula(CopulaParams{});
  copula.fit(table, schema, Context{});
  const std::vector<double>& c = copula.correlation();
  const size_t d = cols;  // one latent per column: no missing values, all continuous
  ASSERT_EQ(c.size(), d * d);
  for (size_t i = 0; i < d; ++i) {
    ASSERT_EQ(c[i * d + i], 1.0);
    for (size_t j = 0; j < i; ++j) {
      ASSERT_TRUE(std::isfinite(c[i * d + j]));
      ASSERT_EQ(c[i * d + j], c[j * d + i]);
      ASSERT_LE(std::fabs(c[i * d + j]), 1.0);
    }
  }
  // 20 rows cannot span 1,000 dimensions: the repair made the matrix positive definite.
  EXPECT_GT(min_eigenvalue(c, d), 0.0);
  EXPECT_EQ(copula.sample(5, {}, Context{}).num_rows(), 5u);
}
