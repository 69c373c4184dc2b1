// Payer rule tables and the rule pass of claim review.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/core/version.h"
#include "medgen/ops/claims/claims.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace medgen::ops::claims {

namespace {

constexpr const char* kReasonNames[kNumReasons] = {"unknown_code", "coverage",  "excluded",  "prior_auth", "dx_px",
                                                   "code_pair",    "frequency", "modifier",  "model"};


// A rule table: its rows as strings, checked for the expected columns.
struct TableFile {
  RawTable raw;
  std::string name;  // file name for rule locations
  std::vector<size_t> col;
  std::string at(size_t row, size_t c) const { return std::string(raw.field(row, col[c])); }
  std::string where(size_t row) const { return name + ":" + std::to_string(raw.line(row)); }
  std::string path;
  [[noreturn]] void fail(size_t row, const std::string& what) const {
    throw InvalidInput(located(path, raw.line(row), 0, what));
  }
};

TableFile load_table(const std::string& dir, const std::string& name, const std::vector<std::string>& cols) {
  TableFile t;
  t.path = (fs::path(dir) / name).string();
  t.name = name;
  CsvOptions o;
  o.missing_tokens = {};
  t.raw = read_csv(t.path, o);
  for (const auto& c : cols) {
    auto it = std::find(t.raw.names.begin(), t.raw.names.end(), c);
    if (it == t.raw.names.end()) throw InvalidInput(located(t.path, 1, 0, "missing column '" + c + "'"));
    t.col.push_back(static_cast<size_t>(it - t.raw.names.begin()));
  }
  return t;
}

double to_number(const TableFile& t, size_t row, size_t c, double lo, double hi) {
  const std::string s = t.at(row, c);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !(v >= lo && v <= hi))
    t.fail(row, t.raw.names[t.col[c]] + " must be a number in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                    "], got '" + s + "'");
  return v;
}

std::string key(const std::string& payer, int proc) { return payer + '\x1f' + std::to_string(proc); }

}  // namespace

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(';', start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view part = s.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

const char* reason_name(Reason r) { return kReasonNames[static_cast<int>(r)]; }

bool reason_from_name(const std::string& s, Reason* r) {
  for (int i = 0; i < kNumReasons; ++i)
    if (s == kReasonNames[i]) {
      *r = static_cast<Reason>(i);
      return true;
    }
  return false;
}

std::string RuleSet::default_dir() {
  if (const char* e = std::getenv("MEDGEN_DATA"); e && *e) return std::string(e) + "/ops/claims";
  const std::string built = std::string(MEDGEN_DATA_DIR) + "/ops/claims";
  if (fs::is_directory(built)) return built;
  return "data/ops/claims";
}

RuleSet RuleSet::load(const std::string& dir) {
  if (!fs::is_directory(dir)) throw InvalidInput(dir + ": payer rules folder not found");
  RuleSet rs;
  rs.dir = dir;
  std::map<std::string, bool> payers;
  auto add_payer = [&](const std::string& p) {
    if (p != "*") payers[p] = true;
  };
  {
    const TableFile t = load_table(dir, "procedures.csv", {"code", "category", "typical_charge", "description"});
    for (size_t r = 0; r < t.raw.num_rows(); ++r) {
      Procedure p;
      p.code = t.at(r, 0);
      p.category = t.at(r, 1);
      p.typical_charge = to_number(t, r, 2, 0.01, 1e9);
      p.description = t.at(r, 3);
      if (p.code.empty() || p.category.empty()) t.fail(r, "empty code or category");
      if (!rs.proc_index_.emplace(p.code, static_cast<int>(rs.procs_.size())).second)
        t.fail(r, "duplicate procedure '" + p.code + "'");
      if (std::find(rs.categories_.begin(), rs.categories_.end(), p.category) == rs.categories_.end())
        rs.categories_.push_back(p.category);
      rs.procs_.push_back(std::move(p));
    }
  }
  auto proc_of = [&](const TableFile& t, size_t r, size_t c) {
    const std::string code = t.at(r, c);
    const int i = rs.procedure_index(code);
    if (i < 0) t.fail(r, "procedure '" + code + "' is not in procedures.csv");
    return i;
  };
  {
    const TableFile t = load_table(dir, "diagnoses.csv", {"code", "description"});
    for (size_t r = 0; r < t.raw.num_rows(); ++r) {
      const std::string c = t.at(r, 0);
      if (c.empty()) t.fail(r, "empty diagnosis code");
      if (!rs.dx_.insert(c).second) t.fail(r, "duplicate diagnosis '" + c + "'");
      rs.dx_list_.push_back(c);
    }
  }
  {
    const TableFile t = load_table(dir, "modifiers.csv", {"modifier", "description"});
    for (size_t r = 0; r < t.raw.num_rows(); ++r) {
      const std::string c = t.at(r, 0);
      if (c.empty() || !rs.modifiers_.insert(c).second) t.fail(r, "empty or duplicate modifier '" + c + "'");
    }
  }
  for (const auto& [file, target] : {std::pair<const char*, std::unordered_map<std::string, std::string>*>{
                                         "coverage.csv", &rs.excluded_},
                                     {"prior_auth.csv", &rs.prior_auth_}}) {
    const TableFile t = load_table(dir, file, {"payer", "procedure"});
    for (size_t r = 0; r < t.raw.num_rows(); ++r) {
      const std::string payer = t.at(r, 0);
      if (payer.empty()) t.fail(r, "empty payer");
      add_payer(payer);
      (*target)[key(payer, proc_of(t, r, 1))] = t.where(r);
    }
  }
  {
    const TableFile t = load_table(dir, "dx_px.csv", {"procedure", "diagnosis_prefixes"});
    for (size_t r = 0; r < t.raw.num_rows(); ++r) {
      Procedure& p = rs.procs_[proc_of(t, r, 0)];
      p.dx_prefixes = split_list(t.at(r, 1));
      if (p.dx_prefixes.empty()) t.fail(r, "no diagnosis prefixes");
      p.dx_rule = t.where(r);
    }
  }
  {
    const TableFile t = load_table(dir, "required_modifiers.csv", {"procedure", "one_of"});
    for (size_t r = 0; r < t.raw.num_rows(); ++r) {
      Procedure& p = rs.procs_[proc_of(t, r, 0)];
      p.required_modifiers = split_list(t.at(r, 1));
      if (p.required_modifiers.empty()) t.fail(r, "no modifiers");
      for (const auto& m : p.required_modifiers)
        if (!rs.modifiers_.count(m)) t.fail(r, "modifier '" + m + "' is not in modifiers.csv");
      p.modifier_rule = t.where(r);
    }
  }
  {
    const TableFile t = load_table(dir, "frequency.csv", {"procedure", "max_units", "per_days"});
    for (size_t r = 0; r < t.raw.num_rows(); ++r) {
      Procedure& p = rs.procs_[proc_of(t, r, 0)];
      p.freq_max = static_cast<int>(to_number(t, r, 1, 1, 1e6));
      p.freq_days = static_cast<int>(to_number(t, r, 2, 1, 36600));
      p.freq_rule = t.where(r);
    }
  }
  {
    const TableFile t = load_table(dir, "code_pairs.csv", {"column1", "column2", "modifier_allowed"});
    for (size_t r = 0; r < t.raw.num_rows(); ++r) {
      CodePair cp;
      cp.column1 = proc_of(t, r, 0);
      cp.column2 = proc_of(t, r, 1);
      if (cp.column1 == cp.column2) t.fail(r, "a code paired with itself");
      cp.modifier_allowed = to_number(t, r, 2, 0, 1) != 0;
      cp.rule = t.where(r);
      rs.pairs_by_col2_[cp.column2].push_back(static_cast<int>(rs.pairs_.size()));
      rs.pairs_.push_back(cp);
    }
  }
  {
    const std::string path = (fs::path(dir) / "payer.json").string();
    json j;
    try {
      j = json::parse(read_file(path, 1 << 20));
    } catch (const json::exception& e) {
      throw InvalidInput(path + ": " + e.what());
    }
    if (!j.is_object() || j.value("format", "") != "medgen-payer-rules")
      throw InvalidInput(path + ": not a medgen-payer-rules file (\"format\")");
    if (!j.contains("bypass_modifiers") || !j["bypass_modifiers"].is_array())
      throw InvalidInput(path + ": bypass_modifiers must be an array");
    for (const auto& m : j["bypass_modifiers"]) {
      if (!m.is_string() || !rs.modifiers_.count(m.get<std::string>()))
        throw InvalidInput(path + ": bypass modifier " + m.dump() + " is not in modifiers.csv");
      rs.bypass_.push_back(m.get<std::string>());
    }
    const json& reasons = j.contains("reasons") ? j["reasons"] : json::object();
    for (int i = 0; i < kNumReasons; ++i) {
      const char* n = kReasonNames[i];
      if (!reasons.is_object() || !reasons.contains(n) || !reasons[n].is_object() ||
          !reasons[n].value("carc", json()).is_string() || !reasons[n].value("text", json()).is_string())
        throw InvalidInput(path + ": reasons." + n + " needs string \"carc\" and \"text\"");
      rs.carc_[i] = reasons[n]["carc"].get<std::string>();
      rs.text_[i] = reasons[n]["text"].get<std::string>();
    }
  }
  for (const auto& [p, _] : payers) rs.payers_.push_back(p);
  return rs;
}

bool RuleSet::prior_auth_required(const std::string& payer, int proc) const {
  return prior_auth_.count(key(payer, proc)) || prior_auth_.count(key("*", proc));
}
bool RuleSet::excluded(const std::string& payer, int proc) const {
  return excluded_.count(key(payer, proc)) || excluded_.count(key("*", proc));
}

std::vector<LineReview> RuleSet::review(const std::vector<ClaimLine>& lines, const ReviewOptions& options) const {
  const size_t n = lines.size();
  std::vector<LineReview> out(n);
  std::vector<int> proc(n, -1);
  auto add = [&](size_t i, Reason r, std::string rule, std::string message) {
    out[i].findings.push_back(Finding{r, carc_[static_cast<int>(r)], std::move(rule), std::move(message)});
    out[i].denied = true;
  };
  auto unknown = [&](size_t i, const std::string& what) {
    if (!options.unknown_codes_as_findings) throw InvalidInput(lines[i].where + ": " + what);
    add(i, Reason::kUnknownCode, "tables", what);
  };
  std::string k;
  for (size_t i = 0; i < n; ++i) {
    const ClaimLine& l = lines[i];
    auto it = proc_index_.find(l.procedure);
    bool ok = true;
    if (it == proc_index_.end()) {
      unknown(i, "unknown procedure code '" + l.procedure + "'");
      ok = false;
    }
    for (const auto& d : l.diagnoses)
      if (!dx_.count(d)) {
        unknown(i, "unknown diagnosis code '" + d + "'");
        ok = false;
      }
    for (const auto& m : l.modifiers)
      if (!modifiers_.count(m)) {
        unknown(i, "unknown modifier '" + m + "'");
        ok = false;
      }
    if (!ok) continue;
    const int p = it->second;
    proc[i] = p;
    const Procedure& pr = procs_[p];
    if (l.has_coverage && (l.service_day == kNoDay || (l.coverage_start != kNoDay && l.service_day < l.coverage_start) ||
                           (l.coverage_end != kNoDay && l.service_day > l.coverage_end)))
      add(i, Reason::kCoverage, "coverage period", "service date outside the coverage period");
    k = l.payer;
    k += '\x1f';
    k += std::to_string(p);
    auto ex = excluded_.find(k);
    if (ex == excluded_.end()) ex = excluded_.find(key("*", p));
    if (ex != excluded_.end()) add(i, Reason::kExcluded, ex->second, pr.code + " is not covered by " + l.payer);
    if (l.prior_auth.empty()) {
      auto pa = prior_auth_.find(k);
      if (pa == prior_auth_.end()) pa = prior_auth_.find(key("*", p));
      if (pa != prior_auth_.end())
        add(i, Reason::kPriorAuth, pa->second, pr.code + " needs prior authorisation from " + l.payer);
    }
    if (!pr.dx_prefixes.empty()) {
      bool match = false;
      for (const auto& d : l.diagnoses) {
        for (const auto& pre : pr.dx_prefixes)
          if (d.compare(0, pre.size(), pre) == 0) {
            match = true;
            break;
          }
        if (match) break;
      }
      if (!match) add(i, Reason::kDxPx, pr.dx_rule, "no diagnosis on the line supports " + pr.code);
    }
    if (!pr.required_modifiers.empty()) {
      bool has = false;
      for (const auto& m : l.modifiers)
        if (std::find(pr.required_modifiers.begin(), pr.required_modifiers.end(), m) != pr.required_modifiers.end())
          has = true;
      if (!has) add(i, Reason::kModifier, pr.modifier_rule, pr.code + " needs one of its required modifiers");
    }
  }
  // Code pairs: lines grouped by (claim, service day); a column-2 line is denied when a
  // column-1 line of its pair is in the group, unless a bypass modifier is allowed and present.
  {
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (lines[a].claim_id != lines[b].claim_id) return lines[a].claim_id < lines[b].claim_id;
      return lines[a].service_day < lines[b].service_day;
    });
    for (size_t s = 0; s < n;) {
      size_t e = s + 1;
      while (e < n && lines[order[e]].claim_id == lines[order[s]].claim_id &&
             lines[order[e]].service_day == lines[order[s]].service_day)
        ++e;
      if (e - s > 1)
        for (size_t a = s; a < e; ++a) {
          const size_t i = order[a];
          if (proc[i] < 0) continue;
          auto pit = pairs_by_col2_.find(proc[i]);
          if (pit == pairs_by_col2_.end()) continue;
          for (int pi : pit->second) {
            const CodePair& cp = pairs_[pi];
            bool present = false;
            for (size_t b = s; b < e && !present; ++b) present = proc[order[b]] == cp.column1;
            if (!present) continue;
            bool bypass = false;
            if (cp.modifier_allowed)
              for (const auto& m : lines[i].modifiers)
                if (std::find(bypass_.begin(), bypass_.end(), m) != bypass_.end()) bypass = true;
            if (!bypass) {
              add(i, Reason::kCodePair, cp.rule,
                  procs_[cp.column2].code + " is bundled into " + procs_[cp.column1].code + " on the same day");
              break;
            }
          }
        }
      s = e;
    }
  }
  // Frequency: per (patient, procedure), lines in date order; units already allowed within the
  // rolling window of per_days days (the service day and the per_days - 1 before it) count.
  {
    std::vector<size_t> order;
    order.reserve(n);
    for (size_t i = 0; i < n; ++i)
      if (proc[i] >= 0 && procs_[proc[i]].freq_max > 0 && lines[i].service_day != kNoDay) order.push_back(i);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (proc[a] != proc[b]) return proc[a] < proc[b];
      if (lines[a].patient_id != lines[b].patient_id) return lines[a].patient_id < lines[b].patient_id;
      if (lines[a].service_day != lines[b].service_day) return lines[a].service_day < lines[b].service_day;
      return a < b;
    });
    std::vector<std::pair<int32_t, double>> allowed;  // (day, units) allowed so far in the group
    for (size_t s = 0; s < order.size();) {
      size_t e = s + 1;
      while (e < order.size() && proc[order[e]] == proc[order[s]] &&
             lines[order[e]].patient_id == lines[order[s]].patient_id)
        ++e;
      const Procedure& pr = procs_[proc[order[s]]];
      allowed.clear();
      size_t head = 0;
      double in_window = 0;
      for (size_t a = s; a < e; ++a) {
        const size_t i = order[a];
        const int32_t day = lines[i].service_day;
        while (head < allowed.size() && allowed[head].first <= day - pr.freq_days) in_window -= allowed[head++].second;
        if (in_window + lines[i].units > pr.freq_max + 1e-9) {
          add(i, Reason::kFrequency, pr.freq_rule,
              pr.code + " exceeds " + std::to_string(pr.freq_max) + " unit(s) per " + std::to_string(pr.freq_days) +
                  " day(s)");
        } else if (!out[i].denied) {
          allowed.emplace_back(day, lines[i].units);
          in_window += lines[i].units;
        }
      }
      s = e;
    }
  }
  return out;
}

}  // namespace medgen::ops::claims
