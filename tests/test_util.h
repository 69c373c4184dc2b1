// Shared helpers for the test suites.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "medgen/core/csv.h"
#include "medgen/core/rng.h"
#include "medgen/core/schema.h"
#include "medgen/core/model_file.h"
#include "medgen/core/table.h"
#include "medgen/tabular/pipeline.h"
#include "medgen/tabular/synthesizer.h"

namespace medgen::test {

inline std::string source_dir() { return MEDGEN_SOURCE_DIR; }
inline std::string data_dir() { return source_dir() + "/tests/data"; }

// Every real clinical table shipped with the tests (tests/data/*.csv), sorted.
inline std::vector<std::string> dataset_paths() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(data_dir()))
    if (e.path().extension() == ".csv") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

struct Loaded {
  Schema schema;
  Table table;
};

inline Loaded load(const std::string& path) {
  RawTable raw = read_csv(path);
  Loaded l;
  l.schema = infer_schema(raw);
  l.table = to_table(raw, l.schema);
  return l;
}

// A fresh temporary directory removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("medgen-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

// SHA-256 of a synthesizer's model file (a digest, so a failed comparison does not print
// megabytes of weights).
inline std::string model_digest(const tabular::Synthesizer& s) {
  TempDir dir;
  tabular::save_model(s, tabular::Provenance{}, dir.file("m.medgen"));
  return sha256_file_hex(dir.file("m.medgen"));
}

// The bytes of a synthesizer's model file (for editing its header in validation tests).
inline std::string model_bytes(const tabular::Synthesizer& s) {
  TempDir dir;
  tabular::Provenance p;
  p.input_name = "x.csv";
  p.rows = 10;
  tabular::save_model(s, p, dir.file("m.medgen"));
  return read_file(dir.file("m.medgen"));
}

// A k-nearest-neighbour two-sample test (Schilling 1986): pool up to `rows` rows of each table,
// encode them (numbers standardised by the real column, with a missing indicator; categories
// one-hot scaled so two different values are 1 apart), and return the share of each point's k
// nearest neighbours that come from its own table. 0.5: indistinguishable; 1: fully separable.
// Unlike a linear classifier it sees joint structure, e.g. broken correlations.
inline double knn_detection(const Table& real, const Table& synthetic, const Schema& schema, size_t rows = 600,
                            int k = 5, uint64_t seed = 1) {
  std::vector<std::vector<double>> points[2];
  const Table* tables[2] = {&real, &synthetic};
  Rng rng(seed);
  // Standardisation of each numeric column by the real table, computed once.
  const std::vector<size_t> cols = output_columns(schema);
  std::vector<double> mean(cols.size(), 0.0), sd(cols.size(), 1.0);
  for (size_t q = 0; q < cols.size(); ++q) {
    const Column& rc = real.column(schema.columns[cols[q]].name);
    if (rc.storage != Storage::kNumber) continue;
    double sum = 0, sq = 0, n = 0;
    for (size_t i = 0; i < rc.size(); ++i)
      if (rc.valid[i]) sum += rc.values[i], sq += rc.values[i] * rc.values[i], ++n;
    mean[q] = n > 0 ? sum / n : 0;
    sd[q] = n > 1 ? std::sqrt(std::max(1e-12, sq / n - mean[q] * mean[q])) : 1;
  }
  for (int side = 0; side < 2; ++side) {
    const Table& t = *tables[side];
    std::vector<size_t> order(t.num_rows());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    order.resize(std::min(rows, order.size()));
    for (size_t r : order) {
      std::vector<double> p;
      for (size_t q = 0; q < cols.size(); ++q) {
        const ColumnSchema& cs = schema.columns[cols[q]];
        const Column& c = t.column(cs.name);
        if (c.storage == Storage::kNumber) {
          p.push_back(c.valid[r] ? (c.values[r] - mean[q]) / sd[q] : 0.0);
          p.push_back(c.valid[r] ? 0.0 : 1.0);
        } else {
          for (size_t v = 0; v <= cs.values.size(); ++v)  // the last slot: missing
            p.push_back((c.codes[r] < 0 ? cs.values.size() : static_cast<size_t>(c.codes[r])) == v ? std::sqrt(0.5) : 0.0);
        }
      }
      points[side].push_back(std::move(p));
    }
  }
  std::vector<std::pair<const std::vector<double>*, int>> all;
  for (int side = 0; side < 2; ++side)
    for (const auto& p : points[side]) all.emplace_back(&p, side);
  double same = 0;
  std::vector<std::pair<double, int>> d(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = 0; j < all.size(); ++j) {
      double s = 0;
      for (size_t f = 0; f < all[i].first->size(); ++f) {
        const double e = (*all[i].first)[f] - (*all[j].first)[f];
        s += e * e;
      }
      d[j] = {i == j ? INFINITY : s, all[j].second};
    }
    std::partial_sort(d.begin(), d.begin() + k, d.end());
    for (int m = 0; m < k; ++m) same += d[static_cast<size_t>(m)].second == all[i].second;
  }
  return same / (static_cast<double>(k) * all.size());
}

// knn_detection averaged over `reps` subsamples (seeds 1..reps): the subsampling noise of one
// call (about 0.01 on the shipped tables) shrinks by sqrt(reps).
inline double knn_detection_mean(const Table& real, const Table& synthetic, const Schema& schema, int reps = 5,
                                 size_t rows = 600) {
  double s = 0;
  for (int r = 1; r <= reps; ++r) s += knn_detection(real, synthetic, schema, rows, 5, static_cast<uint64_t>(r));
  return s / reps;
}

// Quality of `model` fitted with seeds 1..seeds on `real` (as many synthetic rows as real ones):
// pairwise correlation error and knn_detection_mean, their means and standard deviations over
// seeds. Used by the quality tests and bench_quality_spread, which sizes their margins.
struct QualitySpread {
  double corr_mean = 0, corr_sd = 0, knn_mean = 0, knn_sd = 0;
  std::vector<double> corr, knn;  // per seed
};

inline QualitySpread quality_over_seeds(const std::string& model, const nlohmann::json& params, const Loaded& real,
                                        int seeds) {
  QualitySpread q;
  for (int s = 1; s <= seeds; ++s) {
    Context ctx;
    ctx.seed = static_cast<uint64_t>(s);
    auto synth = tabular::create_synthesizer(model, params);
    synth->fit(real.table, real.schema, ctx);
    const Table syn = synth->sample(real.table.num_rows(), {}, ctx);
    q.corr.push_back(tabular::correlation_error(real.table, syn, real.schema));
    q.knn.push_back(knn_detection_mean(real.table, syn, real.schema));
  }
  auto stats = [&](const std::vector<double>& v, double* mean, double* sd) {
    double sum = 0, sq = 0;
    for (double x : v) sum += x, sq += x * x;
    const double n = static_cast<double>(v.size());
    *mean = sum / n;
    *sd = v.size() > 1 ? std::sqrt(std::max(0.0, (sq - sum * sum / n) / (n - 1))) : 0.0;
  };
  stats(q.corr, &q.corr_mean, &q.corr_sd);
  stats(q.knn, &q.knn_mean, &q.knn_sd);
  return q;
}

}  // namespace medgen::test
