// A synthetic clinical dataset (records/clinical.h) for the FHIR tests and benchmark: every
// table filled, deterministic from a seed, patients "p<number>" numbered from `first`.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include "medgen/core/rng.h"
#include "medgen/records/clinical.h"

namespace medgen::records::fixture {

// Appends rows to one table of a dataset by column name.
class Rows {
 public:
  Rows(Dataset* d, const char* table) {
    for (size_t i = 0; i < d->schema.tables.size(); ++i)
      if (d->schema.tables[i].name == table) t_ = &d->tables[i];
    index_.resize(t_->columns.size());
  }
  void add() {
    for (Column& c : t_->columns) {
      if (c.storage == Storage::kNumber) {
        c.values.push_back(0);
        c.valid.push_back(0);
      } else {
        c.codes.push_back(-1);
      }
    }
  }
  void str(const char* name, const std::string& v) {
    const size_t c = static_cast<size_t>(t_->find(name));
    auto it = index_[c].find(v);
    if (it == index_[c].end()) {
      t_->columns[c].dictionary.push_back(v);
      it = index_[c].emplace(v, static_cast<int32_t>(t_->columns[c].dictionary.size() - 1)).first;
    }
    t_->columns[c].codes.back() = it->second;
  }
  void num(const char* name, double v) {
    Column& c = t_->columns[static_cast<size_t>(t_->find(name))];
    c.values.back() = v;
    c.valid.back() = 1;
  }

 private:
  Table* t_ = nullptr;
  std::vector<std::unordered_map<std::string, int32_t>> index_;
};

struct Lab {
  const char* code;
  const char* display;
  const char* unit;
  double mean, sd;
};

// `patients` patients, each with `visits` encounters of `labs` lab observations (up to 7),
// one coded observation per visit, a blood-pressure pair, conditions, medications, procedures,
// an allergy and a care plan.
inline Dataset make_clinical(size_t patients, size_t visits, size_t labs, uint64_t seed, size_t first = 1) {
  static const Lab kLabs[] = {
      {"1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "mg/dL", 1.2, 0.6},
      {"1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/dL", 3.5, 0.4},
      {"2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 250, 60},
      {"6768-6", "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 900, 300},
      {"1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 100, 30},
      {"777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 250, 60},
      {"5902-2", "Prothrombin time (PT)", "s", 10.7, 0.8}};
  static const char* kGenders[] = {"female", "male", "other", "unknown"};
  static const char* kClasses[] = {"AMB", "EMER", "IMP"};
  Rng rng(seed);
  Dataset d = empty_clinical_dataset();
  Rows P(&d, "patients"), E(&d, "encounters"), C(&d, "conditions"), O(&d, "observations"), M(&d, "medications"),
      R(&d, "procedures"), A(&d, "allergies"), CP(&d, "careplans");
  char buf[64];
  for (size_t i = 0; i < patients; ++i) {
    std::snprintf(buf, sizeof buf, "p%06zu", first + i);
    const std::string pid = buf;
    const double birth = (-20000.0 + static_cast<double>(rng.below(20000))) * 86400;
    P.add();
    P.str("id", pid);
    P.num("birth_date", birth);
    P.str("gender", kGenders[rng.below(4)]);
    if (rng.below(5) == 0) P.num("deceased", 1.6e9 + static_cast<double>(rng.below(1000000)));
    if (rng.below(3)) P.str("race", rng.below(2) ? "White" : "Black or African American");
    if (rng.below(3)) P.str("ethnicity", rng.below(2) ? "Not Hispanic or Latino" : "Hispanic or Latino");
    double t = 1.2e9 + static_cast<double>(rng.below(100000000));
    for (size_t v = 0; v < visits; ++v) {
      const std::string eid = pid + "-e" + std::to_string(v);
      t += 86400.0 * static_cast<double>(1 + rng.below(200));
      E.add();
      E.str("id", eid);
      E.str("patient", pid);
      E.num("start", t);
      E.num("end", t + 1800);
      E.str("class", kClasses[rng.below(3)]);
      E.str("code_system", "http://snomed.info/sct");
      E.str("code", "185349003");
      E.str("display", "Encounter for check up (procedure)");
      for (size_t l = 0; l < labs && l < 7; ++l) {
        O.add();
        O.str("id", eid + "-o" + std::to_string(l));
        O.str("patient", pid);
        O.str("encounter", eid);
        O.num("time", t + (l == 0 ? 0.25 : 0));  // one time with a fraction of a second
        O.str("code_system", "http://loinc.org");
        O.str("code", kLabs[l].code);
        O.str("display", kLabs[l].display);
        O.num("value", std::round((kLabs[l].mean + kLabs[l].sd * (rng.uniform() * 2 - 1)) * 100) / 100);
        O.str("unit", kLabs[l].unit);
      }
      O.add();  // a coded value
      O.str("id", eid + "-smoking");
      O.str("patient", pid);
      O.str("encounter", eid);
      O.num("time", t);
      O.str("code_system", "http://loinc.org");
      O.str("code", "72166-2");
      O.str("display", "Tobacco smoking status");
      O.str("value_code", rng.below(2) ? "Never smoker" : "Former smoker");
      if (v == 0) {
        C.add();
        C.str("id", pid + "-c0");
        C.str("patient", pid);
        C.str("encounter", eid);
        C.num("onset", t);
        if (rng.below(2)) C.num("abatement", t + 86400 * 30);
        C.str("code_system", "http://snomed.info/sct");
        C.str("code", "31712002");
        C.str("display", "Primary biliary cholangitis");
        M.add();
        M.str("id", pid + "-m0");
        M.str("patient", pid);
        M.str("encounter", eid);
        M.num("start", t);
        if (rng.below(2)) {
          M.num("end", t + 86400 * 365);
          M.str("status", "completed");
        } else {
          M.str("status", "active");
        }
        M.str("code_system", "urn:medgen:test");
        M.str("code", "penicillamine");
        M.str("display", "penicillamine");
        R.add();
        R.str("id", pid + "-r0");
        R.str("patient", pid);
        R.str("encounter", eid);
        R.num("time", t + 3600);
        R.str("code_system", "http://snomed.info/sct");
        R.str("code", "86273004");
        R.str("display", "Biopsy (procedure)");
        CP.add();
        CP.str("id", pid + "-cp0");
        CP.str("patient", pid);
        CP.str("encounter", eid);
        CP.num("start", t);
        if (rng.below(2)) CP.num("end", t + 86400 * 90);
        CP.str("display", "Liver disease follow-up");  // text only: no coding
      }
    }
    if (rng.below(3) == 0) {
      A.add();
      A.str("id", pid + "-a0");
      A.str("patient", pid);
      A.num("onset", birth + 86400 * 400);
      if (rng.below(2)) A.num("abatement", birth + 86400 * 800);
      A.str("code_system", "http://snomed.info/sct");
      A.str("code", "300916003");
      A.str("display", "Latex allergy");
    }
  }
  fill_categories(&d);
  return d;
}

}  // namespace medgen::records::fixture
