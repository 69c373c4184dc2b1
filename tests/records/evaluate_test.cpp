// The records evaluation on the PBC trial (patients + their visits): real patients against
// other real patients score near the ceiling, and each deliberate defect (visits shuffled
// across patients, visit times permuted, one series replaced by its marginal, copied
// patients) is caught by the metric that should catch it.
#include "medgen/records/evaluate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/rng.h"
#include "test_util.h"

namespace medgen::records {
namespace {

using ojson = nlohmann::ordered_json;

TableSchema table_schema(const std::string& name, const RawTable& raw, Table* table) {
  TableSchema ts;
  ts.name = name;
  ts.file = name + ".csv";
  ts.schema = infer_schema(raw);
  ts.schema.columns[static_cast<size_t>(ts.schema.find("id"))].type = ColumnType::kIdentifier;
  *table = to_table(raw, ts.schema);
  return ts;
}

// data/pbc.csv (patients, key id) and data/pbcseq.csv (visits: entity id, time `day`).
Dataset load_pbc() {
  Dataset d;
  Table pbc, seq;
  TableSchema p = table_schema("pbc", read_csv(test::source_dir() + "/data/pbc.csv"), &pbc);
  p.primary_key = "id";
  TableSchema s = table_schema("pbcseq", read_csv(test::source_dir() + "/data/pbcseq.csv"), &seq);
  s.foreign_keys = {{"id", "pbc", "id"}};
  s.entity_key = "id";
  s.time_column = "day";
  s.static_columns = {"futime", "status", "trt", "age", "sex"};
  d.schema.tables = {p, s};
  d.schema.validate();
  d.tables = {std::move(pbc), std::move(seq)};
  return d;
}

Table take(const Table& t, const std::vector<size_t>& rows) {
  Table out;
  for (const Column& c : t.columns) {
    Column o = c;
    if (c.storage == Storage::kNumber) {
      o.values.clear();
      o.valid.clear();
      for (size_t r : rows) {
        o.values.push_back(c.values[r]);
        o.valid.push_back(c.valid[r]);
      }
    } else {
      o.codes.clear();
      for (size_t r : rows) o.codes.push_back(c.codes[r]);
    }
    out.columns.push_back(std::move(o));
  }
  return out;
}

std::string key(const Column& c, size_t r) { return c.dictionary[static_cast<size_t>(c.codes[r])]; }

// Patients (with all their visits) split at random into `parts` datasets.
std::vector<Dataset> split(const Dataset& d, size_t parts, uint64_t seed) {
  Rng rng(seed);
  const Table& pbc = d.tables[0];
  std::map<std::string, size_t> part;
  std::vector<std::vector<size_t>> prow(parts), srow(parts);
  std::vector<size_t> order(pbc.num_rows());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  for (size_t i = 0; i < order.size(); ++i) {
    part[key(pbc.column("id"), order[i])] = i % parts;
    prow[i % parts].push_back(order[i]);
  }
  const Column& sid = d.tables[1].column("id");
  for (size_t r = 0; r < sid.size(); ++r) srow[part.at(key(sid, r))].push_back(r);
  std::vector<Dataset> out(parts);
  for (size_t k = 0; k < parts; ++k) {
    std::sort(prow[k].begin(), prow[k].end());
    out[k].schema = d.schema;
    out[k].tables = {take(pbc, prow[k]), take(d.tables[1], srow[k])};
  }
  return out;
}

// A random permutation of the entries of one column of the visits.
void permute_column(Dataset* d, const std::string& name, uint64_t seed) {
  Column& c = d->table("pbcseq").columns[static_cast<size_t>(d->table("pbcseq").find(name))];
  Rng rng(seed);
  for (size_t i = c.size(); i > 1; --i) {
    const size_t j = rng.below(i);
    if (c.storage == Storage::kNumber) {
      std::swap(c.values[i - 1], c.values[j]);
      std::swap(c.valid[i - 1], c.valid[j]);
    } else {
      std::swap(c.codes[i - 1], c.codes[j]);
    }
  }
}

class RecordsEvaluate : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const Dataset full = load_pbc();
    std::vector<Dataset> parts = split(full, 3, 11);
    a_ = new Dataset(parts[0]);
    b_ = new Dataset(parts[1]);
    c_ = new Dataset(parts[2]);
    good_ = new ojson(run(*b_));
  }
  static void TearDownTestSuite() {
    delete a_;
    delete b_;
    delete c_;
    delete good_;
  }
  static ojson run(const Dataset& syn, RecordEvalOptions o = {}) {
    Context ctx;
    ctx.seed = 5;
    return evaluate_records(*a_, syn, c_, o, ctx);
  }
  static double num(const ojson& r, std::initializer_list<const char*> path) {
    const ojson* p = &r;
    for (const char* k : path) {
      EXPECT_TRUE(p->is_object() && p->contains(k)) << k;
      if (!p->is_object() || !p->contains(k)) return NAN;
      p = &(*p)[k];
    }
    EXPECT_TRUE(p->is_number());
    return p->is_number() ? p->get<double>() : NAN;
  }
  static const ojson& series(const ojson& r, const std::string& name) {
    for (const ojson& it : r["trajectories"]["items"])
      if (it["series"] == name) return it;
    ADD_FAILURE() << "no series " << name;
    static const ojson none;
    return none;
  }
  // |r_synthetic − r_real| of one parent attribute against one aggregate of the visits.
  static double cell_error(const ojson& r, const std::string& attribute, const std::string& aggregate) {
    const ojson& pc = r["parent_child"]["items"][0];
    const auto a = pc["attributes"].get<std::vector<std::string>>();
    const auto g = pc["aggregates"].get<std::vector<std::string>>();
    const size_t i = static_cast<size_t>(std::find(a.begin(), a.end(), attribute) - a.begin());
    const size_t k = static_cast<size_t>(std::find(g.begin(), g.end(), aggregate) - g.begin());
    EXPECT_TRUE(i < a.size() && k < g.size());
    if (i >= a.size() || k >= g.size()) return NAN;
    return std::fabs(pc["synthetic"][i][k].get<double>() - pc["real"][i][k].get<double>());
  }
  static Dataset* a_;
  static Dataset* b_;
  static Dataset* c_;
  static ojson* good_;
};

Dataset* RecordsEvaluate::a_ = nullptr;
Dataset* RecordsEvaluate::b_ = nullptr;
Dataset* RecordsEvaluate::c_ = nullptr;
ojson* RecordsEvaluate::good_ = nullptr;

TEST_F(RecordsEvaluate, RealAgainstRealIsNearTheCeiling) {
  const ojson& s = (*good_)["summary"];
  // Other real patients score like the holdout (both are fresh real patients).
  EXPECT_NEAR(num(s, {"table_quality", "synthetic"}), num(s, {"table_quality", "holdout"}), 0.05);
  EXPECT_GT(num(s, {"table_quality", "synthetic"}), 0.85);
  // 140 patients over 17 count bins: total variation is noisy (0.17 to 0.27 over splits).
  EXPECT_LT(num(s, {"child_count_tvd", "synthetic"}), num(s, {"child_count_tvd", "holdout"}) + 0.1);
  EXPECT_LT(num(s, {"gap_ks", "synthetic"}), 0.15);
  EXPECT_LT(num(s, {"trajectory_error", "synthetic"}), 0.3);
  EXPECT_LT(num(s, {"autocorrelation_error", "synthetic"}), 0.15);
  EXPECT_LT(num(s, {"parent_child_error", "synthetic"}), 0.15);
  EXPECT_LT(num(s, {"detection_auc", "synthetic"}), 0.7);
  EXPECT_GT(num(s, {"summary_dcr_ratio"}), 0.7);
  EXPECT_GT(num(s, {"sequence_dcr_ratio"}), 0.7);
  EXPECT_LT(num(s, {"membership_auc"}), 0.65);
  // The real series are persistent within a patient: bilirubin's lag-1 correlation is high.
  EXPECT_GT(num(series(*good_, "bili"), {"autocorrelation", "real"}), 0.7);
  EXPECT_EQ((*good_)["inputs"]["series"].size(), 12u);
}

TEST_F(RecordsEvaluate, VisitsShuffledAcrossPatientsAreCaught) {
  Dataset bad = *b_;
  permute_column(&bad, "id", 3);  // every patient keeps its number of visits, not its visits
  const ojson r = run(bad);
  const ojson& s = r["summary"];
  const ojson& g = (*good_)["summary"];
  EXPECT_GT(num(s, {"autocorrelation_error", "synthetic"}), num(g, {"autocorrelation_error", "synthetic"}) + 0.2);
  EXPECT_GT(num(s, {"parent_child_error", "synthetic"}), num(g, {"parent_child_error", "synthetic"}) + 0.05);
  EXPECT_GT(cell_error(r, "bili", "bili.mean"), 0.5);
  EXPECT_GT(num(s, {"detection_auc", "synthetic"}), num(g, {"detection_auc", "synthetic"}) + 0.15);
  // The counts per patient are untouched.
  EXPECT_NEAR(num(s, {"child_count_tvd", "synthetic"}), num(g, {"child_count_tvd", "synthetic"}), 1e-12);
}

TEST_F(RecordsEvaluate, PermutedVisitTimesAreCaught) {
  Dataset bad = *b_;
  permute_column(&bad, "day", 4);
  const ojson r = run(bad);
  const ojson& g = (*good_)["gaps"]["items"][0];
  const ojson& b = r["gaps"]["items"][0];
  EXPECT_GT(num(b, {"gap_ks", "synthetic"}), num(g, {"gap_ks", "synthetic"}) + 0.2);
  EXPECT_GT(num(b, {"first_time_ks", "synthetic"}), 0.3);  // real records all start at day 0
  EXPECT_LT(num(g, {"first_time_ks", "synthetic"}), 0.05);
}

TEST_F(RecordsEvaluate, SeriesReplacedByItsMarginalIsCaught) {
  Dataset bad = *b_;
  permute_column(&bad, "bili", 5);  // bilirubin values drawn from their marginal
  const ojson r = run(bad);
  const ojson& bs = series(r, "bili");
  const ojson& gs = series(*good_, "bili");
  EXPECT_GT(num(bs, {"autocorrelation_error", "synthetic"}), 0.5);
  EXPECT_LT(num(gs, {"autocorrelation_error", "synthetic"}), 0.15);
  // The marginal itself is unchanged: the per-value KS does not see it.
  EXPECT_NEAR(num(bs, {"values_ks", "synthetic"}), num(gs, {"values_ks", "synthetic"}), 1e-12);
  // Patients' baseline bilirubin no longer matches their visits'.
  EXPECT_LT(cell_error(*good_, "bili", "bili.mean"), 0.25);
  EXPECT_GT(cell_error(r, "bili", "bili.mean"), 0.5);
  EXPECT_GT(num(r, {"summary", "detection_auc", "synthetic"}),
            num(*good_, {"summary", "detection_auc", "synthetic"}) + 0.15);
}

TEST_F(RecordsEvaluate, CopiedPatientsFailPrivacy) {
  const ojson r = run(*a_);  // the training patients themselves
  const ojson& s = r["summary"];
  EXPECT_LT(num(s, {"summary_dcr_ratio"}), 0.05);
  EXPECT_LT(num(s, {"sequence_dcr_ratio"}), 0.05);
  EXPECT_GT(num(s, {"membership_auc"}), 0.9);
}

// The release gate reads the records report: copied patients fail on membership, closeness and
// exact copies; other real patients pass the default gate.
TEST_F(RecordsEvaluate, GateOnRecords) {
  ojson copied = run(*a_);
  const eval::GateResult bad = apply_records_gate(copied, eval::Gate{});
  EXPECT_FALSE(bad.passed);
  std::set<std::string> failed;
  for (const eval::GateCheck& c : bad.checks)
    if (!c.passed) failed.insert(c.key);
  EXPECT_TRUE(failed.count("max_membership_auc"));
  EXPECT_TRUE(failed.count("max_exact_copy_rate"));
  EXPECT_FALSE(copied["gate"]["passed"].get<bool>());
  EXPECT_TRUE(copied["gate"]["summary"]["quality"].is_number());

  ojson fresh = *good_;
  eval::Gate g;
  g.max_detection_auc_margin = 0.1;
  const eval::GateResult ok = apply_records_gate(fresh, g);
  for (const eval::GateCheck& c : ok.checks) EXPECT_TRUE(c.passed) << c.message;
  EXPECT_TRUE(fresh["gate"]["passed"].get<bool>());
  // Without a holdout the checks that need one fail unless require_holdout is off.
  ojson alone = fresh;
  alone["inputs"]["holdout"] = nullptr;
  alone["summary"]["membership_auc"] = nullptr;
  EXPECT_FALSE(apply_records_gate(alone, eval::Gate{}).passed);
}

TEST_F(RecordsEvaluate, UtilityFromTheFirstYear) {
  RecordEvalOptions o;
  o.outcome = "status";
  o.exclude = {"time"};  // follow-up time is known only at the end
  o.table_fidelity = false;
  const ojson r = run(*b_, o);
  const ojson& u = r["summary"]["utility"];
  ASSERT_TRUE(u.is_object());
  EXPECT_GT(num(u, {"trtr"}), 0.7);  // early records predict the outcome
  EXPECT_GT(num(u, {"ratio"}), 0.85);
  for (const ojson& f : r["utility"]["features"]) EXPECT_NE(f.get<std::string>(), "time");
}

TEST_F(RecordsEvaluate, DeterministicFromTheSeed) {
  ojson again = run(*b_);
  ojson first = *good_;
  again.erase("timings_seconds");
  first.erase("timings_seconds");
  EXPECT_EQ(first.dump(), again.dump());
}

TEST_F(RecordsEvaluate, HtmlReportIsSelfContained) {
  const std::string html = render_records_html(*good_);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://", 0), html.find("http://www.w3.org/2000/svg"));
  size_t charts = 0;
  for (size_t p = html.find("trajectory-chart"); p != std::string::npos; p = html.find("trajectory-chart", p + 1))
    ++charts;
  EXPECT_EQ(charts, 12u);
  EXPECT_NE(html.find("data-series=\"pbcseq.bili\""), std::string::npos);
  EXPECT_NE(html.find("count-chart"), std::string::npos);
  EXPECT_NE(html.find("gap-chart"), std::string::npos);

  test::TempDir dir;
  const std::string j = (dir.path / "r.json").string(), h = (dir.path / "r.html").string();
  write_records_report(*good_, j, h);
  EXPECT_EQ(read_file(h), html);
  EXPECT_EQ(ojson::parse(read_file(j)), *good_);
}

TEST_F(RecordsEvaluate, BadOptionsAreInvalidInput) {
  RecordEvalOptions o;
  o.table_fidelity = false;
  o.outcome = "nope";
  EXPECT_THROW(run(*b_, o), InvalidInput);
  o.outcome = "id";
  EXPECT_THROW(run(*b_, o), InvalidInput);
  o.outcome = "status";
  o.exclude = {"status"};
  EXPECT_THROW(run(*b_, o), InvalidInput);
  o = {};
  o.max_entities = 3;
  EXPECT_THROW(run(*b_, o), InvalidInput);
  o = {};
  o.outcome = "status";
  Context ctx;
  EXPECT_THROW(evaluate_records(*a_, *b_, nullptr, o, ctx), InvalidInput);  // utility needs a holdout
  Dataset wrong = *b_;
  wrong.tables[1].columns.pop_back();
  EXPECT_THROW(run(wrong), InvalidInput);
}

TEST_F(RecordsEvaluate, WithoutHoldoutThereAreNoCeilings) {
  RecordEvalOptions o;
  o.table_fidelity = false;
  Context ctx;
  const ojson r = evaluate_records(*a_, *b_, nullptr, o, ctx);
  EXPECT_TRUE(r["summary"]["gap_ks"]["holdout"].is_null());
  EXPECT_TRUE(r["summary"]["membership_auc"].is_null());
  EXPECT_TRUE(r["summary"]["gap_ks"]["synthetic"].is_number());
  EXPECT_FALSE(render_records_html(r).empty());
}

TEST_F(RecordsEvaluate, SamplingBoundsThePatients) {
  RecordEvalOptions o;
  o.max_entities = 40;
  o.table_fidelity = false;
  const ojson r = run(*b_, o);
  EXPECT_EQ(r["summary"]["entities"]["real"], 40);
  EXPECT_EQ(r["summary"]["entities"]["synthetic"], 40);
  EXPECT_EQ(r["inputs"]["real"]["entities_total"], a_->num_entities());
}

// The visits alone as one file: patients are the distinct ids, their attributes the static
// columns.
TEST_F(RecordsEvaluate, ImplicitEntitiesFromOneFile) {
  auto alone = [](const Dataset& d) {
    Dataset o;
    TableSchema ts = d.schema.tables[1];
    ts.foreign_keys.clear();
    o.schema.tables = {ts};
    o.tables = {d.tables[1]};
    return o;
  };
  const Dataset a = alone(*a_), b = alone(*b_), c = alone(*c_);
  RecordEvalOptions o;
  o.table_fidelity = false;
  o.outcome = "status";
  o.exclude = {"futime"};
  Context ctx;
  const ojson r = evaluate_records(a, b, &c, o, ctx);
  const ojson& s = r["summary"];
  EXPECT_EQ(num(s, {"entities", "real"}), static_cast<double>(a.num_entities()));
  EXPECT_LT(num(s, {"gap_ks", "synthetic"}), 0.15);
  EXPECT_GT(num(series(r, "bili"), {"autocorrelation", "real"}), 0.7);
  EXPECT_EQ(r["parent_child"]["items"][0]["parent"], "(entity)");
  EXPECT_GT(num(s, {"utility", "trtr"}), 0.7);
  Dataset bad = b;
  permute_column(&bad, "bili", 5);
  const ojson rb = evaluate_records(a, bad, &c, o, ctx);
  EXPECT_GT(num(series(rb, "bili"), {"autocorrelation_error", "synthetic"}), 0.5);
}

// Long format: one row per measurement (id, day, test, value); each test is a series.
TEST_F(RecordsEvaluate, LongFormatSeries) {
  auto longer = [](const Dataset& d) {
    const Table& v = d.tables[1];
    Table t;
    t.columns = {Column::strings("id", 0, v.column("id").dictionary), Column::numbers("day", 0),
                 Column::strings("test", 0, {"bili", "albumin"}), Column::numbers("value", 0)};
    for (size_t r = 0; r < v.num_rows(); ++r)
      for (int32_t k = 0; k < 2; ++k) {
        const Column& x = v.column(k == 0 ? "bili" : "albumin");
        if (!x.valid[r]) continue;
        t.columns[0].codes.push_back(v.column("id").codes[r]);
        t.columns[1].values.push_back(v.column("day").values[r]);
        t.columns[1].valid.push_back(1);
        t.columns[2].codes.push_back(k);
        t.columns[3].values.push_back(x.values[r]);
        t.columns[3].valid.push_back(1);
      }
    Dataset o;
    TableSchema ts;
    ts.name = "labs";
    ts.file = "labs.csv";
    for (auto [name, type] : {std::pair<const char*, ColumnType>{"id", ColumnType::kIdentifier},
                              {"day", ColumnType::kNumerical},
                              {"test", ColumnType::kCategorical},
                              {"value", ColumnType::kNumerical}}) {
      ColumnSchema cs;
      cs.name = name;
      cs.type = type;
      ts.schema.columns.push_back(cs);
    }
    ts.schema.columns[2].values = {"bili", "albumin"};
    ts.foreign_keys = {{"id", "pbc", "id"}};
    ts.entity_key = "id";
    ts.time_column = "day";
    ts.series_column = "test";
    ts.value_column = "value";
    o.schema.tables = {d.schema.tables[0], ts};
    o.schema.validate();
    o.tables = {d.tables[0], std::move(t)};
    return o;
  };
  const Dataset a = longer(*a_), b = longer(*b_), c = longer(*c_);
  RecordEvalOptions o;
  Context ctx;
  const ojson r = evaluate_records(a, b, &c, o, ctx);
  EXPECT_EQ(r["inputs"]["series"], ojson::parse(R"(["labs.bili", "labs.albumin"])"));
  EXPECT_GT(num(series(r, "bili"), {"autocorrelation", "real"}), 0.7);
  EXPECT_LT(num(series(r, "albumin"), {"mean_error", "synthetic"}), 0.3);
  EXPECT_LT(cell_error(r, "bili", "bili.mean"), 0.25);
}

}  // namespace
}  // namespace medgen::records
