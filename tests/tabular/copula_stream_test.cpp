// The copula's streamed fit (fit_stream) against its in-memory fit, and fit --stream.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "medgen/core/csv_stream.h"
#include "medgen/core/error.h"
#include "medgen/tabular/copula.h"
#include "medgen/tabular/pipeline.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::tabular;
using json = nlohmann::json;

namespace {

// A table in memory handed out in chunks of `step` rows.
class Slices : public TableChunkSource {
 public:
  Slices(const Table& table, size_t step) : table_(table), step_(step) {}
  bool next(Table* chunk) override {
    if (pos_ >= table_.num_rows()) return false;
    std::vector<size_t> rows(std::min(step_, table_.num_rows() - pos_));
    std::iota(rows.begin(), rows.end(), pos_);
    *chunk = table_.take(rows);
    pos_ += rows.size();
    max_rows_ = std::max(max_rows_, rows.size());
    return true;
  }
  void rewind() override {
    pos_ = 0;
    ++rewinds_;
  }
  int rewinds_ = 0;
  size_t max_rows_ = 0;

 private:
  const Table& table_;
  size_t step_, pos_ = 0;
};

CopulaSynthesizer make(const json& params, const std::string& name = "copula") {
  return CopulaSynthesizer(CopulaParams::from_json(params), name);
}

json state_of(const Synthesizer& s) {
  json state;
  std::string payload;
  s.save_state(&state, &payload);
  return state;
}

}  // namespace

// Where the reservoir holds every value, the streamed fit is the in-memory fit: the same model
// file, byte for byte (latents, quantiles, levels, correlation, schema), for every real table,
// every chunk size and every marginal and privacy option.
TEST(CopulaStream, EqualsTheInMemoryFitWhileTheReservoirHoldsEveryValue) {
  const std::vector<json> variants = {json::object(), {{"privacy", "coarse"}}, {{"marginals", "empirical"}},
                                      {{"marginals", "parametric"}}, {{"discrete_max_levels", 0}}};
  for (const std::string& path : test::dataset_paths()) {
    SCOPED_TRACE(path);
    const test::Loaded data = test::load(path);
    for (const json& params : variants) {
      SCOPED_TRACE(params.dump());
      Context ctx;
      ctx.seed = 3;
      CopulaSynthesizer whole = make(params);
      whole.fit(data.table, data.schema, ctx);
      const std::string want = test::model_digest(whole);
      for (size_t step : {size_t{1}, size_t{7}, size_t{100}, data.table.num_rows()}) {
        if (step == 1 && params.contains("marginals")) continue;  // one-row chunks once per table is enough
        CopulaSynthesizer streamed = make(params);
        Slices chunks(data.table, step);
        const CopulaStreamStats st = streamed.fit_stream(chunks, data.schema, ctx);
        EXPECT_EQ(st.rows, data.table.num_rows());
        EXPECT_FALSE(st.sampled);
        EXPECT_EQ(chunks.rewinds_, 1);  // two passes
        EXPECT_EQ(test::model_digest(streamed), want) << "chunks of " << step;
      }
    }
    // Independent columns: one pass.
    CopulaSynthesizer whole = make({{"dependence", false}}, "independent");
    Context ctx;
    whole.fit(data.table, data.schema, ctx);
    CopulaSynthesizer streamed = make({{"dependence", false}}, "independent");
    Slices chunks(data.table, 50);
    streamed.fit_stream(chunks, data.schema, ctx);
    EXPECT_EQ(chunks.rewinds_, 0);
    EXPECT_EQ(test::model_digest(streamed), test::model_digest(whole));
  }
}

// A table with more values than the reservoir: marginals and correlations close to the
// in-memory fit, within bounds derived from the reservoir's size R.
TEST(CopulaStream, CloseToTheInMemoryFitWhenTheReservoirIsASample) {
  // 120,000 rows drawn from a copula fitted on pbc (continuous, discrete, categorical and
  // missing columns, with dependence).
  const test::Loaded pbc = test::load(test::data_dir() + "/pbc.csv");
  Context ctx;
  ctx.seed = 17;
  CopulaSynthesizer source = make(json::object());
  source.fit(pbc.table, pbc.schema, ctx);
  const Table big = source.sample(120000, {}, ctx);
  Schema schema = source.schema();
  for (ColumnSchema& c : schema.columns)  // the id column is regenerated, not learned
    if (c.type == ColumnType::kIdentifier) c.type = ColumnType::kText;

  CopulaSynthesizer whole = make(json::object());
  whole.fit(big, schema, ctx);
  const size_t reservoir = 4000;
  CopulaSynthesizer streamed = make({{"max_quantiles", 1000}});
  CopulaSynthesizer whole_q = make({{"max_quantiles", 1000}});
  whole_q.fit(big, schema, ctx);
  Slices chunks(big, 9973);
  const CopulaStreamStats st = streamed.fit_stream(chunks, schema, ctx, CopulaStreamOptions{reservoir, false});

  // Memory: no reservoir beyond its cap, chunks as given.
  EXPECT_TRUE(st.sampled);
  EXPECT_EQ(st.reservoir_cap, reservoir);
  EXPECT_EQ(st.max_reservoir, reservoir);
  EXPECT_EQ(st.max_chunk_rows, 9973u);
  EXPECT_EQ(st.rows, 120000u);

  const json a = state_of(whole_q), b = state_of(streamed);
  ASSERT_EQ(a["latents"].size(), b["latents"].size());
  // Same latents; discrete levels and shares are exact (pass 1 counts them all).
  for (size_t i = 0; i < a["latents"].size(); ++i) {
    const json& la = a["latents"][i];
    const json& lb = b["latents"][i];
    SCOPED_TRACE(la.dump().substr(0, 200));
    ASSERT_EQ(la["kind"], lb["kind"]);
    ASSERT_EQ(la["column"], lb["column"]);
    if (la["kind"] != "continuous") {
      EXPECT_EQ(la, lb);
      continue;
    }
    // Continuous: each quantile of the reservoir lies where the whole column puts it, within
    // the Dvoretzky-Kiefer-Wolfowitz bound for R values: sup |F_R - F| <= sqrt(ln(2/a) / 2R),
    // a = 1e-6 (0.043 at R = 4000), plus the quantile grid's step 1/k. Ends are exact.
    const std::string name = schema.columns[la["column"].get<size_t>()].name;
    const Column& col = big.column(name);
    std::vector<double> sorted;
    for (size_t r = 0; r < col.size(); ++r)
      if (col.valid[r]) sorted.push_back(col.values[r]);
    std::sort(sorted.begin(), sorted.end());
    const std::vector<double> q = lb["quantiles"].get<std::vector<double>>();
    const double k = static_cast<double>(q.size());
    const double bound = std::sqrt(std::log(2 / 1e-6) / (2.0 * reservoir)) + 1 / k;
    double worst = 0;
    for (size_t i2 = 0; i2 < q.size(); ++i2) {
      const double lo = static_cast<double>(std::lower_bound(sorted.begin(), sorted.end(), q[i2]) - sorted.begin());
      const double hi = static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), q[i2]) - sorted.begin());
      const double u = (i2 + 0.5) / k, n = static_cast<double>(sorted.size());
      // u must lie within [F(q-), F(q)] widened by the bound.
      worst = std::max(worst, std::max(lo / n - u, u - hi / n));
    }
    EXPECT_LE(worst, bound) << name;
    if (lb["family"] == "empirical") {
      EXPECT_EQ(q.front(), sorted.front());
      EXPECT_EQ(q.back(), sorted.back());
    }
  }
  // Correlations: all N rows are scored, by their ranks among R sampled values instead of
  // among all N. The scores move by the reservoir's CDF error (DKW above) in probability, a
  // smooth monotone distortion shared by every row, which moves a correlation by less than
  // one standard error of a correlation estimated on R rows alone, (1 - rho^2)/sqrt(R) <=
  // 1/sqrt(R) = 0.016 at R = 4000 (measured: 0.0027).
  const std::vector<double>& ca = whole.correlation();
  const std::vector<double>& cb = streamed.correlation();
  ASSERT_EQ(ca.size(), cb.size());
  double worst = 0;
  for (size_t i = 0; i < ca.size(); ++i) worst = std::max(worst, std::fabs(ca[i] - cb[i]));
  EXPECT_LE(worst, 1 / std::sqrt(static_cast<double>(reservoir)));

  // The reservoir is drawn from ctx.seed, value by value: chunking does not change it.
  CopulaSynthesizer again = make({{"max_quantiles", 1000}});
  Slices other(big, 50000);
  again.fit_stream(other, schema, ctx, CopulaStreamOptions{reservoir, false});
  EXPECT_EQ(test::model_digest(again), test::model_digest(streamed));
}

TEST(CopulaStream, LabelsOutsideTheSchemaAndChangedData) {
  const test::Loaded data = test::load(test::data_dir() + "/pbc.csv");
  Schema narrow = data.schema;
  const int sex = narrow.find("sex");
  ASSERT_GE(sex, 0);
  narrow.columns[static_cast<size_t>(sex)].values = {"f"};
  Context ctx;
  {
    CopulaSynthesizer s = make(json::object());
    Slices chunks(data.table, 100);
    try {
      s.fit_stream(chunks, narrow, ctx);
      FAIL();
    } catch (const InvalidInput& e) {
      EXPECT_EQ(std::string(e.what()), "column 'sex': value 'm' is not in the schema");
    }
  }
  // Widening: the label is added and the model equals the one fitted with the full schema.
  {
    CopulaSynthesizer s = make(json::object());
    Slices chunks(data.table, 100);
    s.fit_stream(chunks, narrow, ctx, CopulaStreamOptions{0, true});
    EXPECT_EQ(s.schema().columns[static_cast<size_t>(sex)].values, (std::vector<std::string>{"f", "m"}));
    CopulaSynthesizer whole = make(json::object());
    whole.fit(data.table, data.schema, ctx);
    EXPECT_EQ(test::model_digest(s), test::model_digest(whole));
  }
  // A second pass with fewer rows than the first.
  class Shrinking : public Slices {
   public:
    using Slices::Slices;
    bool next(Table* chunk) override { return (rewinds_ == 0 || ++calls_ < 2) && Slices::next(chunk); }
    int calls_ = 0;
  };
  CopulaSynthesizer s = make(json::object());
  Shrinking chunks(data.table, 100);
  EXPECT_THROW(s.fit_stream(chunks, data.schema, ctx), InvalidInput);
  Table empty = data.table.take({});
  Slices none(empty, 10);
  EXPECT_THROW(s.fit_stream(none, data.schema, ctx), InvalidInput);
}

// fit --stream through the pipeline: on a file read whole by the prefix inference, the model
// file equals the in-memory fit's; with a prefix smaller than the file the schema is widened.
TEST(CopulaStream, FitModelStreamsACsvFile) {
  test::TempDir dir;
  for (const char* name : {"pbc.csv", "aids2.csv"}) {
    SCOPED_TRACE(name);
    FitRequest req;
    req.input = test::data_dir() + "/" + name;
    req.reproducible = true;
    req.output = dir.file("whole.medgen");
    Context ctx;
    ctx.seed = 5;
    const FitResult whole = fit_model(req, ctx);
    EXPECT_TRUE(whole.stream.is_null());
    req.stream = true;
    req.stream_block_bytes = 1000;
    req.output = dir.file("streamed.medgen");
    const FitResult streamed = fit_model(req, ctx);
    EXPECT_EQ(streamed.rows, whole.rows);
    EXPECT_GT(streamed.stream["chunks_per_pass"].get<int>(), 10);
    EXPECT_LE(streamed.stream["largest_buffer_bytes"].get<size_t>(), 2000u);
    EXPECT_EQ(sha256_file_hex(dir.file("streamed.medgen")), sha256_file_hex(dir.file("whole.medgen")));
  }
  // Not every synthesizer streams.
  FitRequest req;
  req.input = test::data_dir() + "/pbc.csv";
  req.output = dir.file("x.medgen");
  req.stream = true;
  req.synthesizer = "cart";
  try {
    fit_model(req, Context{});
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_EQ(std::string(e.what()), "fit --stream: synthesizer 'cart' has no streamed fit (copula and independent have one)");
  }
}

TEST(CopulaStream, SchemaInferredFromAPrefixIsWidened) {
  // Rare labels, the widest range and the finest decimals all come after the first rows,
  // from which the schema is inferred.
  test::TempDir dir;
  const std::string path = dir.file("t.csv");
  {
    std::ofstream f(path);
    f << "g,x,n\n";
    Rng rng(1);
    for (int i = 0; i < 30000; ++i) {
      const bool late = i > 20000;
      f << (late && i % 100 == 0 ? "rare" : (i % 2 ? "a" : "b")) << ',';
      f << (late && i % 1000 == 0 ? "1000.125" : std::to_string(static_cast<int>(rng.below(50)))) << ',';
      f << rng.uniform() << '\n';
    }
  }
  Context ctx;
  // A schema from the first 100 rows (what a 16 MiB prefix is to a larger file).
  CsvChunkReader prefix(path, {}, CsvStreamOptions{1500});
  RawTable raw;
  ASSERT_TRUE(prefix.next(&raw));
  ASSERT_LT(raw.num_rows(), 200u);
  const Schema inferred = infer_schema(raw);
  ASSERT_EQ(inferred.column("g").values, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(inferred.column("x").integer);
  CsvTableChunks chunks(path, inferred, {}, CsvStreamOptions{4096}, true);
  CopulaSynthesizer s = make(json::object());
  s.fit_stream(chunks, inferred, ctx, CopulaStreamOptions{0, true});
  const Schema& got = s.schema();
  const Schema whole = infer_schema(read_csv(path));
  EXPECT_EQ(got.column("g").values, whole.column("g").values);
  EXPECT_EQ(got.column("x").integer, whole.column("x").integer);
  EXPECT_EQ(got.column("x").decimals, whole.column("x").decimals);
  EXPECT_EQ(got.column("x").max, whole.column("x").max);
  EXPECT_EQ(got.column("n").min, whole.column("n").min);
  EXPECT_EQ(got.column("n").max, whole.column("n").max);
  // ... and the model is the in-memory fit on the whole file.
  CopulaSynthesizer w = make(json::object());
  w.fit(to_table(read_csv(path), whole), whole, ctx);
  EXPECT_EQ(test::model_digest(s), test::model_digest(w));
}

// Through the CLI: fit --stream writes the in-memory model on a small file; refusals are one
// line on stderr, exit code 2 and no model file.
TEST(CopulaStream, Cli) {
  test::TempDir dir;
  const std::string cli = MEDGEN_CLI, data = test::data_dir() + "/pbc.csv";
  auto run = [&](const std::string& args) {
    const int rc = std::system((cli + " " + args + " 2>" + dir.file("err.txt")).c_str());
    EXPECT_TRUE(WIFEXITED(rc));
    return WEXITSTATUS(rc);
  };
  ASSERT_EQ(run("fit " + data + " --reproducible -q -o " + dir.file("whole.medgen")), 0);
  ASSERT_EQ(run("fit " + data + " --stream --chunk-mb 1 --reproducible -q -o " + dir.file("streamed.medgen")), 0);
  EXPECT_EQ(sha256_file_hex(dir.file("streamed.medgen")), sha256_file_hex(dir.file("whole.medgen")));
  for (const std::string args : {"-s ctgan --stream", "-s tvae --stream --chunk-mb 2", "--chunk-mb 2", "--stream --chunk-mb 0"}) {
    SCOPED_TRACE(args);
    EXPECT_EQ(run("fit " + data + " " + args + " -o " + dir.file("x.medgen")), 2);
    const std::string err = read_file(dir.file("err.txt"));
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("x.medgen")));
  }
  // A pipe cannot be read twice; a dataset folder is not streamed.
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
  for (const std::string& input : {dir.file("fifo"), test::source_dir() + "/data/records/pbc"}) {
    EXPECT_EQ(run("fit " + input + " --stream -o " + dir.file("x.medgen")), 2);
    const std::string err = read_file(dir.file("err.txt"));
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("x.medgen")));
  }
  // A malformed record deep in the file: file:line, exit 2, no model.
  std::string text = read_file(data);
  text += "419,1,2,1,50,f,0,0,0,0,1,2,3,4,5,6,7,8,9\n";  // 19 fields, 20 expected: line 420
  std::ofstream(dir.file("bad.csv")) << text;
  EXPECT_EQ(run("fit " + dir.file("bad.csv") + " --stream -o " + dir.file("x.medgen")), 2);
  EXPECT_EQ(read_file(dir.file("err.txt")),
            "medgen: error: " + dir.file("bad.csv") + ":420: expected 20 fields, found 19\n");
  EXPECT_FALSE(std::filesystem::exists(dir.file("x.medgen")));
}
