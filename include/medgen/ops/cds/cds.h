// Decision support: guideline rules kept as data (data/ops/cds/rules.json, each rule tied to an
// item of one of the simulator's guideline files, data/sim/guidelines/*.json) evaluated on a
// patient's FHIR R4 record, and served as an HL7 CDS Hooks 1.0 service (patient-view and
// order-select) whose cards name the rule, the evidence found in the record and the source
// guideline.
//
// Rule language (docs/ops-admin.md): a rule fires for a hook when every `when` criterion finds
// a matching resource in the record, no `unless` criterion does, and (order-select) one of the
// selected draft orders matches `selection`. A criterion names a resource type, codes
// (system + code, or ICD-10 prefixes), an optional value test on the latest matching
// Observation (below / at_least, with a unit that must match), a time window before the
// reference time, and for Conditions an active clinical status.
//
// Thread safety: a loaded RuleBook is immutable; evaluate() may run on several threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::ops::cds {

struct Code {
  std::string system;  // "" matches any system
  std::string code;
  bool prefix = false;  // code is a prefix (ICD-10 categories)
};

struct Criterion {
  std::string resource;           // Condition, Observation, MedicationRequest, ...
  std::vector<Code> codes;        // any of these
  bool has_below = false, has_at_least = false;
  double below = 0, at_least = 0; // on the latest matching Observation's valueQuantity
  std::string unit;               // required unit of that value ("" any)
  double within_hours = 0;        // 0: any time
  std::string label;              // words for the card ("antibiotic order")
};

struct Rule {
  std::string id, title, summary, detail, indicator;  // indicator: info | warning | critical
  std::vector<std::string> hooks;                     // patient-view, order-select
  std::string guideline, item;                        // data/sim/guidelines/<guideline>.json item id
  std::string guideline_title, item_text;             // filled from the guideline file
  std::vector<std::string> sources;
  std::vector<Criterion> when, unless;
  bool has_selection = false;
  Criterion selection;                                // order-select: a draft order matching this
  int min_age = -1;                                   // Patient age at the reference time
  std::string where;                                  // "rules.json: rules[3]"
};

class RuleBook {
 public:
  // Loads every *.json rule file in `dir`, checking each rule's guideline and item against the
  // guideline files in `guidelines_dir`. InvalidInput naming the file and rule.
  static RuleBook load(const std::string& dir, const std::string& guidelines_dir);
  static std::string default_dir();             // data/ops/cds
  static std::string default_guidelines_dir();  // data/sim/guidelines
  const std::vector<Rule>& rules() const { return rules_; }

 private:
  std::vector<Rule> rules_;
};

// A patient's record: resources by type, from a Bundle, prefetch values and draft orders.
struct Record {
  nlohmann::json patient;                                  // null when absent
  std::map<std::string, std::vector<nlohmann::json>> by_type;
  std::vector<nlohmann::json> draft_orders;                // order-select drafts
  std::vector<std::string> selections;                     // "MedicationRequest/id" selected
  double now_s = 0;                                        // reference time (s since epoch)
  // Adds a resource or every entry of a Bundle. InvalidInput naming `where` for malformed input.
  void add(const nlohmann::json& resource, const std::string& where);
  // The reference time: `now_s` when set, else the latest time found in the record.
  void settle_time();
};

// FHIR date, dateTime or instant to seconds since the epoch (UTC); false when malformed.
bool parse_fhir_time(const std::string& text, double* seconds);

// Reads a Bundle (or a single resource) file into a Record (reference time not settled).
Record read_record(const std::string& path);

// CDS Hooks cards for `hook` on the record, in rule order. InvalidInput for an unknown hook.
nlohmann::json evaluate(const RuleBook& book, const Record& record, const std::string& hook);

// The CDS Hooks discovery document (GET /cds-services).
nlohmann::json discovery(const RuleBook& book);

// Answers one CDS Hooks call: POST /cds-services/{service_id} with the request body. Returns
// the HTTP status and body ({"cards": [...]} or an error object).
std::pair<int, nlohmann::json> handle_hook(const RuleBook& book, const std::string& service_id,
                                           const std::string& body);

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8090;  // 0: any free port
  int threads = 2;
  // Browser origins (scheme://host[:port]) allowed to call the service (CORS), e.g. the EHR's
  // or the CDS Hooks sandbox's; "*" allows any. Empty: no CORS headers (server-side clients).
  std::vector<std::string> allowed_origins;
};

// Serves discovery and the services on medgen's HTTP layer until stop is set (checked every
// 200 ms). `on_ready(port)` runs once listening. Thread safety: the book is shared read-only.
void serve(const RuleBook& book, const ServeOptions& options, const std::atomic<bool>* stop,
           const std::function<void(int)>& on_ready);

}  // namespace medgen::ops::cds
