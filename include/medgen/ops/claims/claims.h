// Claim review: claim lines read from FHIR R4 Claim resources or CSV, checked by payer rules
// kept as data files (data/ops/claims/: coverage dates and excluded services, prior
// authorisation, diagnosis-procedure consistency, code-pair edits, frequency limits, required
// modifiers), plus a learned denial model (denial_model.h); findings come out per line as FHIR
// ClaimResponse resources or CSV.
//
// Unknown codes (procedure, diagnosis or modifier not in the payer's tables) are an
// InvalidInput naming the file:line or the resource by default; with
// ReviewOptions::unknown_codes_as_findings they become an "unknown_code" finding on the line.
//
// Thread safety: a loaded RuleSet is immutable; review() may run on several threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::ops::claims {

// Why a line is denied. The order is the order rules are checked in (and reported).
enum class Reason : uint8_t { kUnknownCode, kCoverage, kExcluded, kPriorAuth, kDxPx, kCodePair, kFrequency, kModifier, kModel };
constexpr int kNumReasons = 9;
const char* reason_name(Reason r);                   // "prior_auth", ...
bool reason_from_name(const std::string& s, Reason* r);

constexpr int32_t kNoDay = INT32_MIN;  // a date that is absent

// One claim line, whatever the input format.
struct ClaimLine {
  std::string claim_id;
  int sequence = 1;                     // line (item) number within the claim, 1-based
  std::string patient_id, payer;
  int32_t service_day = kNoDay;         // days since 1970-01-01
  std::string procedure;                // CPT/HCPCS code
  std::vector<std::string> modifiers;
  std::vector<std::string> diagnoses;   // ICD-10-CM, the line's pointers resolved
  double units = 1, charge = 0;
  std::string prior_auth;               // authorisation number, "" when none
  bool has_coverage = false;            // coverage period given
  int32_t coverage_start = kNoDay, coverage_end = kNoDay;  // inclusive; kNoDay: open
  int age = -1;                         // years at service, -1 unknown
  int place_of_service = 0;             // CMS place-of-service code, 0 unknown
  std::string where;                    // "claims.csv:12" or "claims.json: Claim/c1 item 2"
  // Truth, when the input carries it (CSV columns denied, denial_reason): training and recall.
  int denied = -1;                      // -1 unknown, 0 paid, 1 denied
  std::string denial_reason;
};

// Reads claims: CSV (by the .csv extension or a header line), a FHIR Claim, a Bundle of Claims,
// or NDJSON of Claims. InvalidInput naming file:line (CSV, NDJSON) or the resource otherwise.
std::vector<ClaimLine> read_claims(const std::string& path);
std::vector<ClaimLine> parse_claims_csv(const std::string& text, const std::string& source);
std::vector<ClaimLine> parse_claims_fhir(const std::string& text, const std::string& source);
// CSV of claim lines in the format parse_claims_csv reads (truth columns when present).
std::string claims_to_csv(const std::vector<ClaimLine>& lines);
// FHIR R4 Bundle (type collection) of Claim resources, one per claim id.
nlohmann::json claims_to_fhir(const std::vector<ClaimLine>& lines);

struct Finding {
  Reason reason = Reason::kModel;
  std::string carc;     // Claim Adjustment Reason Code from payer.json
  std::string rule;     // "prior_auth.csv:4" (file:line of the rule) or "model"
  std::string message;  // one line, names the codes involved
};

struct LineReview {
  std::vector<Finding> findings;  // rule findings first, then the model's
  bool denied = false;            // any finding
  double model_probability = -1;  // -1 when no model ran
  std::vector<std::pair<std::string, double>> model_reasons;  // top SHAP contributions (log-odds)
};

struct ReviewOptions {
  bool unknown_codes_as_findings = false;  // false: unknown codes are InvalidInput
  double model_threshold = 0.5;            // model findings at or above this probability
  int model_top_reasons = 3;               // reasons kept per flagged line
};

class RuleSet {
 public:
  // Loads every table in `dir` (see data/ops/claims/README.md). InvalidInput naming file:line
  // for malformed tables, unknown references between tables included.
  static RuleSet load(const std::string& dir);
  static std::string default_dir();  // $MEDGEN_DATA/ops/claims or the source tree's

  // The rule findings for every line (the model is applied separately, see review_claims).
  // Unknown codes: InvalidInput naming line.where unless options say findings.
  std::vector<LineReview> review(const std::vector<ClaimLine>& lines, const ReviewOptions& options) const;

  bool known_procedure(const std::string& c) const { return proc_index_.count(c) != 0; }
  bool known_diagnosis(const std::string& c) const { return dx_.count(c) != 0; }
  bool known_modifier(const std::string& c) const { return modifiers_.count(c) != 0; }

  struct Procedure {
    std::string code, category, description;
    double typical_charge = 0;
    std::vector<std::string> dx_prefixes;        // empty: no consistency check
    std::vector<std::string> required_modifiers;  // empty: none required
    std::string dx_rule, modifier_rule;           // file:line
    int freq_max = 0, freq_days = 0;              // 0: no limit
    std::string freq_rule;
  };
  struct CodePair {
    int column1 = 0, column2 = 0;  // procedure indices
    bool modifier_allowed = false;
    std::string rule;
  };
  const std::vector<Procedure>& procedures() const { return procs_; }
  int procedure_index(const std::string& code) const {
    auto it = proc_index_.find(code);
    return it == proc_index_.end() ? -1 : it->second;
  }
  const std::vector<std::string>& diagnoses() const { return dx_list_; }
  const std::vector<CodePair>& code_pairs() const { return pairs_; }
  const std::vector<std::string>& categories() const { return categories_; }
  // Payers named in the tables (without "*").
  const std::vector<std::string>& payers() const { return payers_; }
  bool prior_auth_required(const std::string& payer, int proc) const;
  bool excluded(const std::string& payer, int proc) const;
  const std::vector<std::string>& bypass_modifiers() const { return bypass_; }
  std::string carc(Reason r) const { return carc_[static_cast<int>(r)]; }
  std::string reason_text(Reason r) const { return text_[static_cast<int>(r)]; }
  std::string dir;

 private:
  std::vector<Procedure> procs_;
  std::unordered_map<std::string, int> proc_index_;
  std::unordered_set<std::string> dx_, modifiers_;
  std::vector<std::string> dx_list_, categories_, payers_, bypass_;
  std::vector<CodePair> pairs_;
  std::unordered_map<int, std::vector<int>> pairs_by_col2_;  // column2 proc -> pair indices
  // payer ("*" any) + '\x1f' + procedure index -> rule location
  std::unordered_map<std::string, std::string> prior_auth_, excluded_;
  std::string carc_[kNumReasons], text_[kNumReasons];
};

// Synthetic claims from synthetic patients, clean by `rules`, with denials planted line by
// line at `denial_rate`, the reason drawn from `reason_shares` (see docs/ops-admin.md for the
// published rates behind the defaults). Reasons: the rule reasons, plus "payer_pattern"
// (a payer behaviour no rule states: the learned model's target) and "noise" (random).
struct GenerateOptions {
  size_t patients = 1000;
  double claims_per_patient = 4;   // mean, Poisson
  double denial_rate = 0.19;       // share of lines denied
  std::vector<std::pair<std::string, double>> reason_shares = {
      {"coverage", 0.09}, {"excluded", 0.16}, {"prior_auth", 0.09}, {"dx_px", 0.06}, {"code_pair", 0.10},
      {"frequency", 0.12}, {"modifier", 0.09}, {"payer_pattern", 0.14}, {"noise", 0.15}};
  uint64_t seed = 1;
  void validate() const;
};
std::vector<ClaimLine> generate_claims(const RuleSet& rules, const GenerateOptions& options);

// ClaimResponse resources (a Bundle), one per claim: outcome, item adjudications with the
// CARC reason, process notes naming the rule or the model's reasons.
nlohmann::json claim_responses(const std::vector<ClaimLine>& lines, const std::vector<LineReview>& reviews,
                               const RuleSet& rules);
// The parts of a ';'-separated list (modifiers, diagnoses, prefixes), spaces trimmed, empty
// parts dropped.
std::vector<std::string> split_list(std::string_view s);

// One CSV row per finding (and one "paid" row per clean line).
std::string findings_csv(const std::vector<ClaimLine>& lines, const std::vector<LineReview>& reviews);

// Recall per planted reason (lines with a denial_reason): the share of such lines whose review
// carries that reason (rule reasons) or any finding (payer_pattern, noise); plus precision of
// "denied" against the truth. Empty object when no line has truth.
nlohmann::json recall_by_reason(const std::vector<ClaimLine>& lines, const std::vector<LineReview>& reviews);

}  // namespace medgen::ops::claims
