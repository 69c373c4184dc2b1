// The learned tagger beside the de-identification rules: L2-regularised logistic regression
// (liblinear, one class against the rest) over hashed sparse features of each token (its form,
// shape, affixes, case, the word lists that hold it, its neighbours' forms and the rules' labels
// of its neighbours within two tokens, and cues of its line: "key: value", table, HL7 carets).
// Combined with the rules as a union: a token is PHI when the rules say so, or, when they left
// it alone, when the model's probability for a type exceeds that type's threshold; thresholds are
// chosen by cross-validation by note on the training notes. See docs/text-deid.md.
//
// Model file: medgen's model file (core/model_file.h) whose header holds the format, classes,
// thresholds, per-class scales and biases, training parameters and provenance, and whose payload
// is the weight table (2^hash_bits rows of one int8 per class).
// Thread safety: a TaggerModel is read-only after loading or training (add_spans may run
// concurrently); the training functions share no state of their own (they set liblinear's
// global print hook to silence, the same value every time).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/text/deid/deid.h"
#include "medgen/text/deid/eval.h"

namespace medgen::text::deid {

struct RuleScan;  // the rules' tokens and spans of one note (private: src/text/deid/scan.h)

struct TaggerParams {
  int hash_bits = 18;        // the weight table has 2^hash_bits rows (features are hashed into them)
  double c = 0.5;            // liblinear's C: the inverse of the L2 penalty's strength
  double eps = 0.01;         // liblinear's stopping tolerance
  int folds = 5;             // folds (by note) of the cross-validation that chooses the thresholds
  uint64_t seed = 42;        // the fold assignment (the CLI's --seed)
  double beta = 2;           // a type's threshold maximises F_beta of the model alone, out of fold
  void validate() const;     // InvalidInput naming the field
};

class TaggerModel {
 public:
  // The model's classes: NAME, DATE, AGE, LOCATION, PHONE and ID (ID also learns SSN and IP
  // tokens; e-mails and URLs are left to the rules' patterns). AGE is only given to a number
  // 90-150 or a number in words (Safe Harbor's ages are those over 89).
  static constexpr int kClasses = 6;
  static const std::array<PhiType, kClasses>& class_types();

  // ModelFormat "PATH: what is wrong" for a file that is not a tagger model or is damaged;
  // IoError when unreadable.
  static std::shared_ptr<const TaggerModel> load(const std::string& path);
  static TaggerModel deserialize(const std::string& bytes, const std::string& source);
  std::string serialize() const;
  void save(const std::string& path) const;  // atomic (temporary file, then rename)

  // Adds to `spans` (the rules' spans of `text`, sorted and disjoint; sorted and disjoint after)
  // the runs of tokens no rule span touches whose probability for a type passes that type's
  // threshold. `scan` is the rules' scan of `text` (src/text/deid/scan.h); Deidentifier::detect
  // calls this.
  void add_spans(std::string_view text, const RuleScan& scan, std::vector<PhiSpan>* spans) const;

  const std::array<double, kClasses>& thresholds() const { return thresholds_; }
  const nlohmann::json& provenance() const { return provenance_; }
  int hash_bits() const { return hash_bits_; }

 private:
  friend struct TaggerAccess;
  int hash_bits_ = 18;
  std::array<double, kClasses> thresholds_{};  // probability thresholds per class (> 1: off)
  std::array<float, kClasses> scale_{};        // weight = int8 * scale
  std::array<float, kClasses> bias_{};
  std::vector<int8_t> w_;                      // [row][class]
  nlohmann::json params_, provenance_;
};

// Trains on `notes` (all of them) with thresholds chosen by params.folds-fold cross-validation
// by note over the same notes. `provenance` is stored in the model's header as given.
TaggerModel train_tagger(const Deidentifier& rules, const std::vector<AnnotatedNote>& notes,
                         const TaggerParams& params, const nlohmann::json& provenance = {});

// K-fold cross-validation by note (params.folds, params.seed): each fold is scored by a model
// trained, thresholds included, without it. `group` names each note's source (its file), for
// figures per source.
struct TaggerCvReport {
  std::vector<std::string> groups;       // the sources, then "all"
  std::vector<DeidScores> rules, model;  // per group: the rules alone, the rules + the model
  std::vector<std::array<double, TaggerModel::kClasses>> thresholds;  // per fold
  nlohmann::json to_json() const;
  std::string table() const;  // recall and precision per type, rules vs rules + model
};
TaggerCvReport cross_validate_tagger(const Deidentifier& rules, const std::vector<AnnotatedNote>& notes,
                                     const std::vector<std::string>& group, const TaggerParams& params);

// The sum of two evaluations (counts add; missed lists are concatenated).
DeidScores add_scores(const DeidScores& a, const DeidScores& b);

}  // namespace medgen::text::deid
