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
  double beta = 2;           // AGE's and LOCATION's thresholds maximise F_beta of the model alone, out of fold
  // NAME, DATE, PHONE and ID (identifiers, SSN and IP included) favour recall: the highest
  // threshold at which the model's out-of-fold recall reaches `recall`, unless its out-of-fold
  // precision there falls below `min_precision`: then the lowest threshold that keeps that
  // precision (the most recall it allows). recall = 0: F_beta for every class.
  double recall = 0.99;
  double min_precision = 0.8;
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
  // Replaces the threshold of class `type` (NAME, DATE, AGE, LOCATION, PHONE or ID; SSN and IP
  // tokens are ID's) by p in (0, 1], or switches the class off when p > 1 (up to 2). Only before
  // the model is shared (it is read-only afterwards). InvalidInput for another type or p outside
  // (0, 2].
  void set_threshold(PhiType type, double p);
  const nlohmann::json& provenance() const { return provenance_; }
  // The out-of-fold trade-off the thresholds were chosen from: {"grid": [t...], "NAME":
  // {"recall": [...], "precision": [...]}, ...} of the model alone over the training notes
  // (empty for a model file without it).
  const nlohmann::json& curve() const { return curve_; }
  int hash_bits() const { return hash_bits_; }

 private:
  friend struct TaggerAccess;
  int hash_bits_ = 18;
  std::array<double, kClasses> thresholds_{};  // probability thresholds per class (> 1: off)
  std::array<float, kClasses> scale_{};        // weight = int8 * scale
  std::array<float, kClasses> bias_{};
  std::vector<int8_t> w_;                      // [row][class]
  nlohmann::json params_, provenance_, curve_;
};

// Trains on `notes` (all of them) with thresholds chosen by params.folds-fold cross-validation
// by note over the same notes (TaggerParams: recall, min_precision, beta). `group` names each
// note's source (its file): the thresholds' out-of-fold recall and precision weigh every source
// alike (empty: every note alike). `provenance` is stored in the model's header as given.
TaggerModel train_tagger(const Deidentifier& rules, const std::vector<AnnotatedNote>& notes,
                         const TaggerParams& params, const nlohmann::json& provenance = {},
                         const std::vector<std::string>& group = {});

// One training token's out-of-fold probabilities: from a model fitted (params.folds folds by
// note, drawn with params.seed) without the token's note. What the thresholds are chosen from.
struct TaggerOofSample {
  std::array<double, TaggerModel::kClasses> prob{};
  int8_t label = -1;     // its gold class (TaggerModel::class_types()), -1 none
  bool covered = false;  // a rule span overlaps it (the model is not asked there)
  uint32_t note = 0;     // the index of its note
};
std::vector<TaggerOofSample> tagger_out_of_fold(const Deidentifier& rules, const std::vector<AnnotatedNote>& notes,
                                                const TaggerParams& params);

// The thresholds chosen from out-of-fold probabilities (TaggerParams: recall, min_precision, beta;
// see there), each sample weighted by note_weight[sample.note]; on the grid 0.005 ... 0.05 (steps
// of 0.005), 0.06 ... 0.98 (steps of 0.02); a class without examples is off (2). `curve`, when
// given, receives the recall and precision per class and grid value (TaggerModel::curve).
std::array<double, TaggerModel::kClasses> choose_tagger_thresholds(const std::vector<TaggerOofSample>& oof,
                                                                   const std::vector<double>& note_weight,
                                                                   const TaggerParams& params,
                                                                   nlohmann::json* curve = nullptr);

// K-fold cross-validation by note (params.folds, params.seed): each fold is scored by a model
// trained, thresholds included, without it. `group` names each note's source (its file), for
// figures per source and for the thresholds' weights (train_tagger).
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
