// The synthesizers' parameter tables (param_table.h): every registered synthesizer has one, its
// defaults are the params structs' defaults, the parsers take every key, default and range from
// it, unknown keys stay errors, and docs/cli.md holds exactly `medgen params --markdown`.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "medgen/core/error.h"
#include "medgen/tabular/copula.h"
#include "medgen/tabular/ctgan.h"
#include "medgen/tabular/param_table.h"
#include "medgen/tabular/synthesizer.h"
#include "medgen/tabular/tvae.h"

using namespace medgen;
using namespace medgen::tabular;
using json = nlohmann::json;

namespace {

// The parsers with a table of their own, each returning its to_json().
const std::map<std::string, std::function<json(const json&)>>& parsers() {
  static const std::map<std::string, std::function<json(const json&)>> kParsers = {
      {"copula", [](const json& j) { return CopulaParams::from_json(j).to_json(); }},
      {"tvae", [](const json& j) { return TvaeParams::from_json(j).to_json(); }},
      {"ctgan", [](const json& j) { return CtganParams::from_json(j).to_json(); }},
  };
  return kParsers;
}

// The InvalidInput message of f(), or "" when it does not throw.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "";
}

// A legal value other than the default, at an end of the range.
json other_value(const ParamSpec& p) {
  switch (p.kind) {
    case ParamKind::kInt: return static_cast<int64_t>(p.default_value.get<double>() == p.min ? p.max : p.min);
    case ParamKind::kDouble: return p.default_value.get<double>() == p.min ? p.max : p.min;
    case ParamKind::kString: return p.choices.back();
    case ParamKind::kBool: return !p.default_value.get<bool>();
    case ParamKind::kIntList: return json::array({static_cast<int64_t>(p.min)});
  }
  return nullptr;
}

// DP-SGD's options (tvae) are written by to_json only when epsilon is given, so that the files
// of models trained without differential privacy stay byte-identical.
bool dp_option(const std::string& synthesizer, const std::string& key) {
  return (synthesizer == "tvae" || synthesizer == "ctgan") && (key == "epsilon" || key == "delta" || key.rfind("dp_", 0) == 0);
}
json written(const std::string& synthesizer, json resolved) {
  if (resolved.value("epsilon", 0.0) > 0) return resolved;
  for (auto it = resolved.begin(); it != resolved.end();) it = dp_option(synthesizer, it.key()) ? resolved.erase(it) : std::next(it);
  return resolved;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(ParamTable, EverySynthesizerHasOne) {
  for (const SynthesizerInfo& s : list_synthesizers()) {
    SCOPED_TRACE(s.name);
    const auto& table = param_table(s.name);
    ASSERT_FALSE(table.empty());
    for (const ParamSpec& p : table) {
      EXPECT_FALSE(p.help.empty()) << p.name;
      if (p.kind == ParamKind::kString) EXPECT_FALSE(p.choices.empty()) << p.name;
    }
    // The defaults pass the table's own checks.
    const json defaults = resolve_params(s.name, nullptr);
    EXPECT_EQ(resolve_params(s.name, defaults), defaults);
  }
  EXPECT_THROW(param_table("nosuch"), InvalidInput);
}

TEST(ParamTable, DefaultsAreTheStructsDefaults) {
  for (const auto& [name, parse] : parsers()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(written(name, resolve_params(name, nullptr)), parse(nullptr));
    EXPECT_EQ(written(name, resolve_params(name, json::object())), parse(json::object()));
  }
  EXPECT_EQ(CopulaParams::from_json(nullptr).to_json(), CopulaParams{}.to_json());
  EXPECT_EQ(TvaeParams::from_json(nullptr).to_json(), TvaeParams{}.to_json());
  EXPECT_EQ(CtganParams::from_json(nullptr).to_json(), CtganParams{}.to_json());
  json independent = resolve_params("copula", nullptr);
  independent["dependence"] = false;
  EXPECT_EQ(resolve_params("independent", nullptr), independent);
}

// Every key of the table reaches the struct: a legal non-default value comes back from to_json.
TEST(ParamTable, ParsersReadEveryKey) {
  for (const auto& [name, parse] : parsers()) {
    for (const ParamSpec& p : param_table(name)) {
      SCOPED_TRACE(name + "." + p.name);
      json in{{p.name, other_value(p)}};
      if (name == "ctgan" && p.name != "pac") in["pac"] = 1;  // batch_size must be a multiple of pac
      if (p.name == "device") continue;                      // "cuda" is checked when training starts
      if (dp_option(name, p.name) && p.name != "epsilon") in["epsilon"] = 1.0;  // the others need it
      if (dp_option(name, p.name) && p.name == "delta") in["delta"] = 1e-6;    // 0 is outside (0, 1)
      const json out = parse(in);
      if (p.kind == ParamKind::kDouble)
        EXPECT_DOUBLE_EQ(out.at(p.name).get<double>(), in[p.name].get<double>());
      else
        EXPECT_EQ(out.at(p.name), in[p.name]);
    }
  }
}

// Out of range, wrong type: one line naming the synthesizer and the option.
TEST(ParamTable, RangesAreChecked) {
  for (const auto& [name, parse] : parsers()) {
    for (const ParamSpec& p : param_table(name)) {
      SCOPED_TRACE(name + "." + p.name);
      const std::string prefix = name + " option '" + p.name + "' must be ";
      std::vector<json> bad = {"text", json::array({1, "x"}), nullptr};
      if (p.kind == ParamKind::kString) bad = {1, "nosuch", true};
      if (p.kind == ParamKind::kBool) bad = {1, "true"};
      if (p.kind == ParamKind::kInt || p.kind == ParamKind::kIntList) {
        const json below = static_cast<int64_t>(p.min) - 1, above = static_cast<int64_t>(p.max) + 1;
        bad.push_back(p.kind == ParamKind::kInt ? below : json::array({below}));
        bad.push_back(p.kind == ParamKind::kInt ? above : json::array({above}));
        bad.push_back(p.kind == ParamKind::kInt ? json(1.5) : json::array());
      }
      if (p.kind == ParamKind::kDouble) {
        bad.push_back(p.min - (p.min == 0 ? 1e-9 : p.min / 2));
        bad.push_back(p.max * 2);
      }
      for (const json& v : bad) {
        const std::string e = error_of([&] { parse(json{{p.name, v}}); });
        EXPECT_EQ(e.rfind(prefix, 0), 0u) << v.dump() << " -> " << e;
        EXPECT_EQ(e.find('\n'), std::string::npos);
      }
    }
  }
  EXPECT_EQ(error_of([] { CopulaParams::from_json(json{{"max_quantiles", 15}}); }),
            "copula option 'max_quantiles' must be an integer in [16, 1000000], got 15");
  EXPECT_EQ(error_of([] { TvaeParams::from_json(json{{"epochs", 0}}); }),
            "tvae option 'epochs' must be an integer in [1, 1000000], got 0");
  EXPECT_NE(error_of([] { TvaeParams::from_json(json{{"epochs", 18446744073709551615ULL}}); }), "");
  // Two options together: still the parser's check.
  EXPECT_NE(error_of([] { CtganParams::from_json(json{{"batch_size", 501}}); }).find("multiple of 'pac'"),
            std::string::npos);
}

TEST(ParamTable, UnknownKeysAndNonObjectsAreRefused) {
  EXPECT_EQ(error_of([] { CopulaParams::from_json(json{{"colour", 1}}); })
                .rfind("unknown copula option 'colour' (expected marginals, dependence,", 0),
            0u);
  EXPECT_EQ(error_of([] { TvaeParams::from_json(json{{"loss", "minimax"}}); }).rfind("unknown tvae option 'loss'", 0),
            0u);
  EXPECT_EQ(error_of([] { CtganParams::from_json(json{{"epoch", 5}}); }).rfind("unknown ctgan option 'epoch'", 0), 0u);
  EXPECT_EQ(error_of([] { CopulaParams::from_json(json::array()); }), "copula options must be a JSON object");
  EXPECT_EQ(error_of([] { resolve_params("independent", json{{"dependence", true}}); })
                .rfind("independent option 'dependence' must be false", 0),
            0u);
}

// docs/cli.md between the markers is the command's output: the docs cannot drift.
TEST(ParamTable, DocsHoldTheTable) {
  const std::string doc = read_text(std::string(MEDGEN_SOURCE_DIR) + "/docs/cli.md");
  const std::string begin = "<!-- params:begin -->\n", end = "<!-- params:end -->";
  const size_t b = doc.find(begin), e = doc.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  ASSERT_LT(b, e);
  EXPECT_EQ(doc.substr(b + begin.size(), e - b - begin.size()), param_tables_markdown())
      << "docs/cli.md is stale: paste the output of `medgen params --markdown` between the markers";
}

TEST(ParamTable, CliPrintsTheTable) {
  const std::string cmd = std::string(MEDGEN_CLI) + " params --markdown";
  FILE* f = popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(f), 0);
  EXPECT_EQ(out, param_tables_markdown());
}
