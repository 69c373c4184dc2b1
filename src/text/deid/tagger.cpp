// The learned tagger (tagger.h): features, scoring, span assembly, the model file, training with
// liblinear and cross-validation by note.
#include "medgen/text/deid/tagger.h"

#include <linear.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/model_file.h"
#include "scan.h"

namespace medgen::text::deid {

namespace {

constexpr int K = TaggerModel::kClasses;
constexpr int kDateClass = 1;
constexpr int kAgeClass = 2;
constexpr int kFormat = 1;
// Bump when the features change: a model trained on other features is refused.
constexpr int kFeatureVersion = 1;
constexpr const char* kKind = "deid-tagger";

const std::array<PhiType, K> kClassTypes = {PhiType::kName,     PhiType::kDate,  PhiType::kAge,
                                            PhiType::kLocation, PhiType::kPhone, PhiType::kId};

// The model's class of a gold type: -1 none, -2 left to the rules (e-mail, URL: not trained on).
int class_of(PhiType t) {
  switch (t) {
    case PhiType::kName: return 0;
    case PhiType::kDate: return 1;
    case PhiType::kAge: return 2;
    case PhiType::kLocation: return 3;
    case PhiType::kPhone: return 4;
    case PhiType::kId:
    case PhiType::kSsn:
    case PhiType::kIp: return 5;
    default: return -2;
  }
}

inline uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
inline uint64_t feat(uint32_t tmpl, uint64_t v) { return mix(v + 0x9e3779b97f4a7c15ull * (tmpl + 1)); }
inline uint64_t str_hash(std::string_view s) { return Lexicon::hash(s.data(), s.size()); }

// Feature templates (the numbers are part of the model: changing them needs kFeatureVersion + 1).
enum : uint32_t {
  kBias = 1, kLower, kShape, kShapeC, kPre2, kPre3, kSuf2, kSuf3, kLen, kCase, kFlagBit, kMask,
  kLineStart, kLineEnd, kTouchPrev, kTouchNext, kKvValue, kKvKey, kKvKeyWord, kTable, kCaret,
  kCapsLine, kPosInLine, kLineLen, kPrevWord, kNextWord, kPrevWordCase, kShape3, kPrevLowerShape,
  kNbLower = 100, kNbShape = 110, kNbRule = 120, kNbMask = 130,  // + offset + 2
};

constexpr uint64_t kListBits = (1ull << 40) - 1;  // the Lexicon's list bits (not the month number)

inline bool up(char c) { return c >= 'A' && c <= 'Z'; }
inline bool lo(char c) { return (c >= 'a' && c <= 'z') || static_cast<unsigned char>(c) >= 0x80; }
inline bool dig(char c) { return c >= '0' && c <= '9'; }

// Per-note features: what each token contributes to its own and its neighbours' features is
// computed once; features() then combines them.
class Featurizer {
 public:
  Featurizer(std::string_view text, const RuleScan& rs) : t_(text), rs_(rs), tk_(rs.tokens) {
    const size_t n = tk_.size();
    info_.resize(n);
    // the rules' type per token (-1: none); a token is covered when any rule span overlaps it
    size_t s = 0;
    const auto& sp = rs.spans;
    for (size_t k = 0; k < n; ++k) {
      while (s < sp.size() && sp[s].end <= tk_[k].b) ++s;
      info_[k].rule = (s < sp.size() && sp[s].begin < tk_[k].e) ? static_cast<int8_t>(sp[s].type) : -1;
    }
    for (size_t k = 0; k < n; ++k) token_info(k);
    lines();
  }

  bool scored(size_t k) const { return tk_[k].kind != 'p'; }
  // Safe Harbor's ages are those over 89: the model's AGE is only a number 90-150 or a number in
  // words ("ninety-two").
  bool age_candidate(size_t k) const {
    const Tok& t = tk_[k];
    if (t.kind == 'w') return (t.fl & lex::kNumberWord) != 0;
    if (t.kind != 'n' || t.e - t.b > 3) return false;
    int v = 0;
    for (size_t i = t.b; i < t.e; ++i) v = v * 10 + (t_[i] - '0');
    return v >= 90 && v <= 150;
  }
  // A number of 1, 2 or 4 digits (a day, a month, a year, a time) is a DATE only beside what makes a
  // date of it: within two tokens on its line another number, a month or weekday name, or a
  // touching ordinal suffix ("02 14 1979", "25th", "Dec 2"). A year alone is no PHI under Safe
  // Harbor, and a lone "2" or "20" in a clinical note is a count.
  bool date_candidate(size_t k) const {
    const Tok& t = tk_[k];
    const size_t len = t.e - t.b;
    if (t.kind != 'n' || (len != 1 && len != 2 && len != 4)) return true;
    for (long d = -2; d <= 2; ++d) {
      const long j = static_cast<long>(k) + d;
      if (d == 0 || j < 0 || j >= static_cast<long>(tk_.size())) continue;
      if ((d > 0 && (tk_[k + 1].nl || (d == 2 && tk_[k + 2].nl))) || (d < 0 && (t.nl || (d == -2 && tk_[k - 1].nl))))
        continue;
      const Tok& o = tk_[j];
      if (o.kind == 'n' || (o.kind == 'w' && (o.fl & (lex::kMonth | lex::kWeekday)))) return true;
      if (d == 1 && o.kind == 'w' && !o.space) {
        const std::string_view w = low(j);
        if (w == "st" || w == "nd" || w == "rd" || w == "th") return true;
      }
    }
    return false;
  }
  int rule(size_t k) const { return info_[k].rule; }

  // The hashed features of token k, appended to `out`.
  void features(size_t k, std::vector<uint64_t>* out) const {
    const Tok& tk = tk_[k];
    const Info& in = info_[k];
    auto add = [&](uint32_t tmpl, uint64_t v) { out->push_back(feat(tmpl, v)); };
    add(kBias, 0);
    add(kLower, in.lower);
    add(kShape, in.shape);
    add(kShapeC, in.shapec);
    if (tk.kind == 'w' && tk.e - tk.b >= 4) {
      const std::string_view w = low(k);
      add(kPre2, str_hash(w.substr(0, 2)));
      add(kPre3, str_hash(w.substr(0, 3)));
      add(kSuf2, str_hash(w.substr(w.size() - 2)));
      add(kSuf3, str_hash(w.substr(w.size() - 3)));
    }
    const size_t len = tk.e - tk.b;
    add(kLen, len <= 3 ? len : len <= 5 ? 4 : len <= 8 ? 5 : 6);
    add(kCase, in.casing);
    for (uint64_t f = tk.fl & kListBits; f; f &= f - 1) add(kFlagBit, static_cast<uint64_t>(__builtin_ctzll(f)));
    add(kMask, in.mask);
    if (tk.nl) add(kLineStart, 0);
    if (k + 1 >= tk_.size() || tk_[k + 1].nl) add(kLineEnd, 0);
    if (!tk.space) add(kTouchPrev, 0);
    if (k + 1 < tk_.size() && !tk_[k + 1].space) add(kTouchNext, 0);
    const Line& L = lines_[in.line];
    if (L.colon >= 0) {
      if (k > static_cast<size_t>(L.colon)) {
        add(kKvValue, 0);
        add(kKvKeyWord, L.key);
      } else {
        add(kKvKey, 0);
      }
    }
    if (L.table) add(kTable, 0);
    if (L.caret) add(kCaret, 0);
    if (L.caps) add(kCapsLine, 0);
    const size_t pos = k - L.first;
    add(kPosInLine, std::min<size_t>(pos, 3));
    add(kLineLen, L.words <= 2 ? L.words : L.words <= 4 ? 3 : L.words <= 8 ? 4 : 5);
    // neighbours within two tokens (punctuation included: ':', ',', '^' are cues)
    for (int d = -2; d <= 2; ++d) {
      if (d == 0) continue;
      const uint32_t o = static_cast<uint32_t>(d + 2);
      const long j = static_cast<long>(k) + d;
      if (j < 0 || j >= static_cast<long>(tk_.size())) {
        add(kNbLower + o, 1);
        continue;
      }
      const Info& nb = info_[j];
      add(kNbLower + o, nb.lower);
      add(kNbShape + o, nb.shapec);
      add(kNbRule + o, static_cast<uint64_t>(nb.rule + 2));
      add(kNbMask + o, nb.mask);
    }
    // the nearest words before and after (skipping punctuation), on the same line or not
    long p = static_cast<long>(k) - 1;
    while (p >= 0 && tk_[p].kind == 'p') --p;
    const uint64_t prev = p >= 0 ? info_[p].lower : 1;
    add(kPrevWord, prev);
    add(kPrevWordCase, prev * 31 + in.casing);
    size_t q = k + 1;
    while (q < tk_.size() && tk_[q].kind == 'p') ++q;
    add(kNextWord, q < tk_.size() ? info_[q].lower : 1);
    const uint64_t sp = k > 0 ? info_[k - 1].shapec : 1, sn = k + 1 < tk_.size() ? info_[k + 1].shapec : 1;
    add(kShape3, mix(sp) ^ in.shapec * 3 ^ sn * 7);
    add(kPrevLowerShape, (k > 0 ? info_[k - 1].lower : 1) * 31 + in.shapec);
  }

 private:
  struct Info {
    uint64_t lower = 0, shape = 0, shapec = 0, mask = 0;
    uint32_t line = 0;
    int8_t rule = -1;
    uint8_t casing = 0;
  };
  struct Line {
    size_t first = 0;     // the first token
    long colon = -1;      // a "key:" colon among the line's first tokens
    uint64_t key = 0;     // the key's last word
    size_t words = 0;
    bool table = false, caret = false, caps = false;
  };
  std::string_view t_;
  const RuleScan& rs_;
  const std::vector<Tok>& tk_;
  std::vector<Info> info_;
  std::vector<Line> lines_;

  std::string_view low(size_t k) const { return std::string_view(rs_.lower).substr(tk_[k].b, tk_[k].e - tk_[k].b); }

  void token_info(size_t k) {
    const Tok& tk = tk_[k];
    Info& in = info_[k];
    const std::string_view s = t_.substr(tk.b, tk.e - tk.b);
    if (tk.kind == 'w') {
      in.lower = str_hash(low(k));
      const bool first_up = up(s[0]) || static_cast<unsigned char>(s[0]) >= 0xC3;
      bool inner_up = false, any_lo = false;
      for (size_t i = 1; i < s.size(); ++i) inner_up |= up(s[i]), any_lo |= lo(s[i]);
      in.casing = tk.allcaps ? 1 : (first_up && !inner_up) ? 2 : (!first_up && !inner_up) ? 3 : 4;
      if (s.size() == 1) in.casing = first_up ? 5 : 6;
      (void)any_lo;
    } else if (tk.kind == 'n') {
      const size_t len = s.size();
      int v = 0;
      for (size_t i = 0; i < len && i < 6; ++i) v = v * 10 + (s[i] - '0');
      uint64_t cls;
      if (len <= 2)
        cls = v == 0 ? 1 : v <= 12 ? 2 : v <= 31 ? 3 : 4;
      else if (len == 4)
        cls = (v >= 1900 && v <= 2039) ? 5 : 6;
      else
        cls = 10 + std::min<size_t>(len, 14);
      in.lower = mix(cls + 0x5151);
      in.casing = 7;
    } else {
      in.lower = mix(static_cast<unsigned char>(s[0]) + 0x7171);
      in.casing = 8;
    }
    // shape: X x d or the byte itself; full (first 8) and collapsed
    uint64_t hf = 0x1234, hc = 0x4321;
    char last = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      const char m = up(c) ? 'X' : lo(c) ? 'x' : dig(c) ? 'd' : c;
      if (i < 8) hf = hf * 131 + static_cast<unsigned char>(m);
      if (m != last) hc = hc * 131 + static_cast<unsigned char>(m);
      last = m;
    }
    in.shape = hf + s.size() * 977;
    in.shapec = hc;
    in.mask = mix((tk.fl & kListBits) + 0x99);
  }

  void lines() {
    const size_t n = tk_.size();
    size_t k = 0;
    while (k < n) {
      size_t e = k + 1;
      while (e < n && !tk_[e].nl) ++e;
      Line L;
      L.first = k;
      size_t caps = 0, pipes = 0, commas = 0, semis = 0;
      for (size_t j = k; j < e; ++j) {
        info_[j].line = static_cast<uint32_t>(lines_.size());
        const Tok& tk = tk_[j];
        if (tk.kind == 'w') {
          ++L.words;
          caps += tk.allcaps;
        } else if (tk.kind == 'p') {
          const char c = t_[tk.b];
          pipes += c == '|';
          commas += c == ',';
          semis += c == ';';
          L.caret |= c == '^';
          // "key:" among the first six tokens, not a time ("10:30")
          if (c == ':' && L.colon < 0 && j - k < 6 && j > k &&
              !(tk_[j - 1].kind == 'n' && j + 1 < e && tk_[j + 1].kind == 'n' && !tk_[j + 1].space)) {
            L.colon = static_cast<long>(j);
            long w = static_cast<long>(j) - 1;
            while (w >= static_cast<long>(k) && tk_[w].kind == 'p') --w;
            L.key = w >= static_cast<long>(k) ? info_[w].lower : 0;
          }
        }
      }
      bool tab = false;
      for (size_t b = tk_[k].b; b < tk_[e - 1].e; ++b)
        if (t_[b] == '\t') {
          tab = true;
          break;
        }
      L.table = tab || pipes >= 2 || commas >= 3 || semis >= 2;
      L.caps = L.words >= 2 && caps == L.words;
      lines_.push_back(L);
      k = e;
    }
  }
};

inline size_t row_of(uint64_t h, int bits) { return static_cast<size_t>(h >> (64 - bits)); }

double logit(double p) { return std::log(p / (1 - p)); }

// Deterministic note order for the folds (Fisher-Yates over splitmix64; std's distributions
// differ between libraries).
std::vector<size_t> shuffled(std::vector<size_t> v, uint64_t seed) {
  uint64_t s = seed;
  for (size_t i = v.size(); i > 1; --i) {
    s += 0x9e3779b97f4a7c15ull;
    const size_t j = static_cast<size_t>(mix(s) % i);
    std::swap(v[i - 1], v[j]);
  }
  return v;
}

}  // namespace

// Private access for training (sets the model's fields).
struct TaggerAccess {
  static TaggerModel& set(TaggerModel& m, int bits, const std::array<float, K>& scale,
                          const std::array<float, K>& bias, std::vector<int8_t> w) {
    m.hash_bits_ = bits;
    m.scale_ = scale;
    m.bias_ = bias;
    m.w_ = std::move(w);
    return m;
  }
  static void thresholds(TaggerModel& m, const std::array<double, K>& t) { m.thresholds_ = t; }
  static void curve(TaggerModel& m, nlohmann::json c) { m.curve_ = std::move(c); }
  static void meta(TaggerModel& m, nlohmann::json params, nlohmann::json prov) {
    m.params_ = std::move(params);
    m.provenance_ = std::move(prov);
  }
  // the logits of one token's features
  static void logits(const TaggerModel& m, const uint32_t* rows, size_t n, double* out) {
    int32_t acc[K] = {};
    for (size_t i = 0; i < n; ++i) {
      const int8_t* w = m.w_.data() + static_cast<size_t>(rows[i]) * K;
      for (int c = 0; c < K; ++c) acc[c] += w[c];
    }
    for (int c = 0; c < K; ++c) out[c] = acc[c] * static_cast<double>(m.scale_[c]) + m.bias_[c];
  }
};

const std::array<PhiType, K>& TaggerModel::class_types() { return kClassTypes; }

void TaggerParams::validate() const {
  if (hash_bits < 12 || hash_bits > 22) throw InvalidInput("tagger: hash_bits must be in [12, 22], got " + std::to_string(hash_bits));
  if (!(c > 0) || !std::isfinite(c)) throw InvalidInput("tagger: C must be > 0");
  if (!(eps > 0) || !std::isfinite(eps)) throw InvalidInput("tagger: eps must be > 0");
  if (folds < 2 || folds > 50) throw InvalidInput("tagger: folds must be in [2, 50], got " + std::to_string(folds));
  if (!(beta > 0) || !std::isfinite(beta)) throw InvalidInput("tagger: beta must be > 0");
  if (!(recall >= 0 && recall <= 1)) throw InvalidInput("tagger: recall must be in [0, 1]");
  if (!(min_precision >= 0 && min_precision <= 1)) throw InvalidInput("tagger: min_precision must be in [0, 1]");
}

void TaggerModel::set_threshold(PhiType type, double p) {
  const int c = class_of(type);
  if (c < 0 || kClassTypes[c] != type)
    throw InvalidInput(std::string("tagger: no threshold for ") + phi_type_name(type) +
                        " (the model's classes: NAME, DATE, AGE, LOCATION, PHONE, ID; SSN and IP are ID's)");
  if (!(p > 0 && p <= 2)) throw InvalidInput("tagger: a threshold must be in (0, 1] (above 1: off), got " + std::to_string(p));
  thresholds_[c] = p;
}

// ---------------------------------------------------------------- inference

void TaggerModel::add_spans(std::string_view text, const RuleScan& rs, std::vector<PhiSpan>* spans) const {
  const Featurizer fz(text, rs);
  const auto& tk = rs.tokens;
  std::array<double, K> lt;
  for (int c = 0; c < K; ++c) lt[c] = thresholds_[c] >= 1 ? 1e300 : logit(thresholds_[c]);
  std::vector<uint64_t> hs;
  std::vector<uint32_t> rows;
  std::vector<PhiSpan> add;
  long open_tok = -1;  // the last token of the span being built
  for (size_t k = 0; k < tk.size(); ++k) {
    if (!fz.scored(k) || fz.rule(k) >= 0) continue;
    hs.clear();
    fz.features(k, &hs);
    rows.resize(hs.size());
    // the weight rows are scattered over the table: ask for them all before summing (the sum
    // waited on each cache miss in turn)
    for (size_t i = 0; i < hs.size(); ++i) {
      rows[i] = static_cast<uint32_t>(row_of(hs[i], hash_bits_));
      __builtin_prefetch(w_.data() + static_cast<size_t>(rows[i]) * K);
    }
    double lg[K];
    TaggerAccess::logits(*this, rows.data(), rows.size(), lg);
    if (!fz.age_candidate(k)) lg[kAgeClass] = -1e300;
    if (!fz.date_candidate(k)) lg[kDateClass] = -1e300;
    int best = -1;
    double margin = 0;
    for (int c = 0; c < K; ++c)
      if (lg[c] > lt[c] && (best < 0 || lg[c] - lt[c] > margin)) best = c, margin = lg[c] - lt[c];
    if (best < 0) continue;
    const PhiType type = kClassTypes[best];
    // join a run of the same type on one line, across at most two touching punctuation bytes
    // (". - ' / ^ ,") no rule span holds
    bool join = false;
    if (open_tok >= 0 && !add.empty() && add.back().type == type && k - open_tok <= 3) {
      join = true;
      for (size_t j = open_tok + 1; j <= k; ++j) {
        if (tk[j].nl) join = false;
        if (j < k) {
          const char c = text[tk[j].b];
          if (tk[j].kind != 'p' || fz.rule(j) >= 0 || !std::strchr(".-'/^,", c)) join = false;
        }
      }
    }
    if (join)
      add.back().end = tk[k].e;
    else
      add.push_back(PhiSpan{tk[k].b, tk[k].e, type, {}});
    open_tok = static_cast<long>(k);
  }
  if (add.empty()) return;
  std::vector<PhiSpan> out;
  out.reserve(spans->size() + add.size());
  std::merge(spans->begin(), spans->end(), add.begin(), add.end(), std::back_inserter(out),
             [](const PhiSpan& a, const PhiSpan& b) { return a.begin < b.begin; });
  *spans = std::move(out);
}

std::vector<PhiSpan> Deidentifier::detect(std::string_view text) const {
  if (!model_) return detect_rules(text);
  RuleScan rs = scan_rules(text, *lex_);
  std::vector<PhiSpan> spans = rs.spans;
  model_->add_spans(text, rs, &spans);
  return spans;
}

// ---------------------------------------------------------------- the model file

namespace {

std::string class_name(int c) { return phi_type_name(kClassTypes[c]); }

}  // namespace

std::string TaggerModel::serialize() const {
  ModelFile f;
  nlohmann::json classes = nlohmann::json::array(), th = nlohmann::json::array(), sc = nlohmann::json::array(),
                 bi = nlohmann::json::array();
  for (int c = 0; c < K; ++c) {
    classes.push_back(class_name(c));
    th.push_back(thresholds_[c]);
    sc.push_back(scale_[c]);
    bi.push_back(bias_[c]);
  }
  f.header = {{"kind", kKind},       {"format", kFormat},      {"features", kFeatureVersion},
              {"hash_bits", hash_bits_}, {"classes", classes}, {"thresholds", th},
              {"scales", sc},        {"biases", bi},           {"params", params_},
              {"provenance", provenance_}};
  if (!curve_.is_null()) f.header["curve"] = curve_;
  f.payload.assign(reinterpret_cast<const char*>(w_.data()), w_.size());
  return f.serialize();
}

void TaggerModel::save(const std::string& path) const { write_file_atomic(path, serialize()); }

TaggerModel TaggerModel::deserialize(const std::string& bytes, const std::string& source) {
  const ModelFile f = ModelFile::deserialize(bytes, source);
  auto fail = [&](const std::string& what) { return ModelFormat(source + ": " + what); };
  const nlohmann::json& h = f.header;
  auto str = [&](const char* key) -> std::string {
    if (!h.contains(key) || !h[key].is_string()) throw fail(std::string("header field '") + key + "' missing or not a string");
    return h[key].get<std::string>();
  };
  auto integer = [&](const char* key) -> int64_t {
    if (!h.contains(key) || !h[key].is_number_integer())
      throw fail(std::string("header field '") + key + "' missing or not an integer");
    return h[key].get<int64_t>();
  };
  auto numbers = [&](const char* key) -> std::array<double, K> {
    if (!h.contains(key) || !h[key].is_array() || h[key].size() != K)
      throw fail(std::string("header field '") + key + "' must be an array of " + std::to_string(K) + " numbers");
    std::array<double, K> out{};
    for (int c = 0; c < K; ++c) {
      if (!h[key][c].is_number()) throw fail(std::string("header field '") + key + "' holds a non-number");
      out[c] = h[key][c].get<double>();
      if (!std::isfinite(out[c])) throw fail(std::string("header field '") + key + "' holds a non-finite number");
    }
    return out;
  };
  if (str("kind") != kKind) throw fail("not a de-identification tagger model (kind '" + str("kind") + "')");
  if (integer("format") != kFormat)
    throw fail("tagger format " + std::to_string(integer("format")) + " is not supported (this medgen reads " +
               std::to_string(kFormat) + ")");
  if (integer("features") != kFeatureVersion)
    throw fail("the model was trained on feature set " + std::to_string(integer("features")) + ", this medgen computes " +
               std::to_string(kFeatureVersion) + " (re-train it: docs/text-deid.md)");
  const int64_t bits = integer("hash_bits");
  if (bits < 12 || bits > 22) throw fail("hash_bits " + std::to_string(bits) + " outside [12, 22]");
  if (!h.contains("classes") || !h["classes"].is_array() || h["classes"].size() != K) throw fail("header field 'classes' must list " + std::to_string(K) + " types");
  for (int c = 0; c < K; ++c)
    if (!h["classes"][c].is_string() || h["classes"][c].get<std::string>() != class_name(c))
      throw fail("header field 'classes' must be NAME, DATE, AGE, LOCATION, PHONE, ID in this order");
  const auto th = numbers("thresholds"), sc = numbers("scales"), bi = numbers("biases");
  for (int c = 0; c < K; ++c) {
    if (th[c] <= 0 || th[c] > 2) throw fail("threshold " + std::to_string(th[c]) + " outside (0, 2]");
    if (sc[c] < 0 || sc[c] > 1e6) throw fail("scale " + std::to_string(sc[c]) + " outside [0, 1e6]");
    if (std::fabs(bi[c]) > 1e6) throw fail("bias " + std::to_string(bi[c]) + " outside [-1e6, 1e6]");
  }
  const size_t want = (size_t{1} << bits) * K;
  if (f.payload.size() != want)
    throw fail("weight table of " + std::to_string(f.payload.size()) + " bytes, want " + std::to_string(want) +
               " (2^hash_bits rows of " + std::to_string(K) + ")");
  TaggerModel m;
  std::array<float, K> s{}, b{};
  for (int c = 0; c < K; ++c) s[c] = static_cast<float>(sc[c]), b[c] = static_cast<float>(bi[c]);
  std::vector<int8_t> w(want);
  std::memcpy(w.data(), f.payload.data(), want);
  TaggerAccess::set(m, static_cast<int>(bits), s, b, std::move(w));
  TaggerAccess::thresholds(m, th);
  TaggerAccess::meta(m, h.value("params", nlohmann::json::object()), h.value("provenance", nlohmann::json::object()));
  if (h.contains("curve")) {
    if (!h["curve"].is_object() || !h["curve"].contains("grid") || !h["curve"]["grid"].is_array())
      throw fail("header field 'curve' must be an object with a 'grid' array");
    TaggerAccess::curve(m, h["curve"]);
  }
  return m;
}

std::shared_ptr<const TaggerModel> TaggerModel::load(const std::string& path) {
  return std::make_shared<const TaggerModel>(deserialize(read_file(path, uint64_t{64} << 20), path));
}

// ---------------------------------------------------------------- training

namespace {

struct Sample {
  std::vector<uint32_t> rows;  // sorted, distinct weight rows
  std::vector<float> counts;   // how often each row occurs
  int label = -1;              // class, -1 none
  bool age_ok = false;         // may be an AGE (Featurizer::age_candidate)
  bool date_ok = false;        // may be a DATE (Featurizer::date_candidate)
  bool covered = false;        // a rule span overlaps the token (the model is not asked there)
};

// The samples of each note: its word and number tokens, labelled from the gold spans (a token
// any gold span overlaps takes that span's class; e-mail and URL tokens are left out).
std::vector<std::vector<Sample>> featurize(const Deidentifier& rules, const std::vector<AnnotatedNote>& notes, int bits) {
  std::vector<std::vector<Sample>> out(notes.size());
  std::vector<uint64_t> hs;
  for (size_t n = 0; n < notes.size(); ++n) {
    const AnnotatedNote& note = notes[n];
    const RuleScan rs = scan_rules(note.text, rules.lexicon());
    const Featurizer fz(note.text, rs);
    std::vector<PhiSpan> gold = note.gold;
    std::sort(gold.begin(), gold.end(), [](const PhiSpan& a, const PhiSpan& b) { return a.begin < b.begin; });
    size_t g = 0;
    for (size_t k = 0; k < rs.tokens.size(); ++k) {
      if (!fz.scored(k)) continue;
      const Tok& t = rs.tokens[k];
      while (g < gold.size() && gold[g].end <= t.b) ++g;
      int label = -1;
      for (size_t q = g; q < gold.size() && gold[q].begin < t.e; ++q)
        if (gold[q].end > t.b) {
          label = class_of(gold[q].type);
          break;
        }
      if (label == -2) continue;
      hs.clear();
      fz.features(k, &hs);
      std::vector<uint32_t> rows(hs.size());
      for (size_t i = 0; i < hs.size(); ++i) rows[i] = static_cast<uint32_t>(row_of(hs[i], bits));
      std::sort(rows.begin(), rows.end());
      Sample s;
      s.label = label;
      s.age_ok = fz.age_candidate(k);
      s.date_ok = fz.date_candidate(k);
      s.covered = fz.rule(k) >= 0;
      for (uint32_t r : rows) {
        if (!s.rows.empty() && s.rows.back() == r) {
          s.counts.back() += 1;
        } else {
          s.rows.push_back(r);
          s.counts.push_back(1);
        }
      }
      out[n].push_back(std::move(s));
    }
  }
  return out;
}

void quiet(const char*) {}

// One liblinear fit on the samples of `notes`; thresholds left at "off".
TaggerModel fit(const std::vector<std::vector<Sample>>& data, const std::vector<size_t>& notes, const TaggerParams& p) {
  const int n_rows = 1 << p.hash_bits;
  std::vector<const Sample*> xs;
  for (size_t n : notes)
    for (const Sample& s : data[n]) xs.push_back(&s);
  std::vector<feature_node> nodes;
  size_t total = 0;
  for (const Sample* s : xs) total += s->rows.size() + 2;
  nodes.reserve(total);
  std::vector<size_t> start;
  std::vector<double> y;
  for (const Sample* s : xs) {
    start.push_back(nodes.size());
    for (size_t i = 0; i < s->rows.size(); ++i) nodes.push_back({static_cast<int>(s->rows[i]) + 1, s->counts[i]});
    nodes.push_back({n_rows + 1, 1.0});  // the bias
    nodes.push_back({-1, 0});
    y.push_back(s->label + 1);
  }
  std::vector<feature_node*> x(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) x[i] = nodes.data() + start[i];
  problem prob{};
  prob.l = static_cast<int>(xs.size());
  prob.n = n_rows + 1;
  prob.y = y.data();
  prob.x = x.data();
  prob.bias = 1;
  parameter par{};
  par.solver_type = L2R_LR;
  par.eps = p.eps;
  par.C = p.c;
  par.p = 0.1;
  if (const char* err = check_parameter(&prob, &par)) throw InvalidInput(std::string("tagger: liblinear: ") + err);
  set_print_string_function(quiet);
  model* lm = train(&prob, &par);
  MEDGEN_ASSERT(lm != nullptr);
  // one weight vector per class (liblinear keeps one for two classes)
  const int nc = lm->nr_class;
  std::vector<double> w(static_cast<size_t>(n_rows) * K, 0.0);
  std::array<double, K> bias;
  bias.fill(-30.0);  // a class absent from the training notes is never predicted
  std::array<bool, K> present{};
  for (int i = 0; i < nc; ++i) {
    const int c = lm->label[i] - 1;
    if (c < 0 || c >= K) continue;
    present[c] = true;
    auto coef = [&](size_t j) -> double {
      if (nc == 2) return i == 0 ? lm->w[j] : -lm->w[j];
      return lm->w[j * nc + i];
    };
    for (int r = 0; r < n_rows; ++r) w[static_cast<size_t>(r) * K + c] = coef(r);
    bias[c] = coef(n_rows);
  }
  free_and_destroy_model(&lm);
  std::array<float, K> scale{}, b{};
  std::vector<int8_t> q(w.size(), 0);
  for (int c = 0; c < K; ++c) {
    double mx = 0;
    for (int r = 0; r < n_rows; ++r) mx = std::max(mx, std::fabs(w[static_cast<size_t>(r) * K + c]));
    scale[c] = mx > 0 ? static_cast<float>(mx / 127.0) : 0.0f;
    b[c] = static_cast<float>(bias[c]);
    if (mx > 0)
      for (int r = 0; r < n_rows; ++r)
        q[static_cast<size_t>(r) * K + c] =
            static_cast<int8_t>(std::lround(w[static_cast<size_t>(r) * K + c] / scale[c]));
  }
  TaggerModel m;
  TaggerAccess::set(m, p.hash_bits, scale, b, std::move(q));
  std::array<double, K> off;
  off.fill(2.0);
  for (int c = 0; c < K; ++c)
    if (present[c]) off[c] = 0.5;
  TaggerAccess::thresholds(m, off);
  return m;
}

// The out-of-fold probabilities of every sample of `notes` (params.folds folds by note, drawn
// with params.seed): each from a model fitted without the sample's note.
std::vector<TaggerOofSample> out_of_fold(const std::vector<std::vector<Sample>>& data, const std::vector<size_t>& notes,
                                   const TaggerParams& p) {
  const std::vector<size_t> order = shuffled(notes, p.seed);
  std::vector<TaggerOofSample> out;
  std::vector<uint32_t> rows;
  for (int f = 0; f < p.folds; ++f) {
    std::vector<size_t> in, held;
    for (size_t i = 0; i < order.size(); ++i) (static_cast<int>(i % p.folds) == f ? held : in).push_back(order[i]);
    if (held.empty() || in.empty()) continue;
    const TaggerModel m = fit(data, in, p);
    for (size_t n : held)
      for (const Sample& s : data[n]) {
        rows.clear();
        for (size_t i = 0; i < s.rows.size(); ++i)
          for (int r = 0; r < static_cast<int>(s.counts[i]); ++r) rows.push_back(s.rows[i]);
        double lg[K];
        TaggerAccess::logits(m, rows.data(), rows.size(), lg);
        TaggerOofSample o;
        for (int c = 0; c < K; ++c) o.prob[c] = 1 / (1 + std::exp(-lg[c]));
        if (!s.age_ok) o.prob[kAgeClass] = 0;
        if (!s.date_ok) o.prob[kDateClass] = 0;
        o.label = static_cast<int8_t>(s.label);
        o.covered = s.covered;
        o.note = static_cast<uint32_t>(n);
        out.push_back(o);
      }
  }
  return out;
}

// The thresholds tried: fine steps where recall is bought (0.005 ... 0.05), then 0.06 ... 0.98.
std::vector<double> threshold_grid() {
  std::vector<double> g;
  for (int k = 1; k <= 10; ++k) g.push_back(k / 200.0);
  for (int k = 3; k <= 49; ++k) g.push_back(k / 50.0);
  return g;
}

// Each note's weight in the thresholds' curve: 1 / the number of notes of its source, so that
// every source (file) counts the same (the 320 generated notes would otherwise outweigh the
// hand-written sets, where the model does worse); all 1 without sources.
std::vector<double> source_weights(const std::vector<std::string>& group, size_t notes) {
  std::vector<double> w(notes, 1.0);
  if (group.empty()) return w;
  MEDGEN_ASSERT(group.size() == notes);
  std::map<std::string, size_t> count;
  for (const std::string& g : group) ++count[g];
  for (size_t n = 0; n < notes; ++n) w[n] = 1.0 / static_cast<double>(count[group[n]]);
  return w;
}

// The classes whose thresholds favour recall (TaggerParams::recall): the floors' types.
bool recall_class(int c) {
  const PhiType t = kClassTypes[c];
  return t == PhiType::kName || t == PhiType::kDate || t == PhiType::kPhone || t == PhiType::kId;
}

// Thresholds by cross-validation over `notes` (choose_tagger_thresholds).
std::array<double, K> cv_thresholds(const std::vector<std::vector<Sample>>& data, const std::vector<size_t>& notes,
                                    const std::vector<double>& weight, const TaggerParams& p, nlohmann::json* curve) {
  return choose_tagger_thresholds(out_of_fold(data, notes, p), weight, p, curve);
}

TaggerModel train_on(const std::vector<std::vector<Sample>>& data, const std::vector<size_t>& notes,
                     const std::vector<double>& weight, const TaggerParams& p) {
  nlohmann::json curve;
  const std::array<double, K> th = cv_thresholds(data, notes, weight, p, &curve);
  TaggerModel m = fit(data, notes, p);
  TaggerAccess::thresholds(m, th);
  TaggerAccess::curve(m, std::move(curve));
  return m;
}

nlohmann::json params_json(const TaggerParams& p) {
  return {{"solver", "liblinear L2R_LR (one class against the rest)"},
          {"hash_bits", p.hash_bits},
          {"C", p.c},
          {"eps", p.eps},
          {"folds", p.folds},
          {"seed", p.seed},
          {"beta", p.beta},
          {"recall", p.recall},
          {"min_precision", p.min_precision}};
}

}  // namespace

// The checks and the features shared by training and the out-of-fold pass; `all` receives
// every note's index.
static std::vector<std::vector<Sample>> checked_features(const Deidentifier& rules, const std::vector<AnnotatedNote>& notes,
                                                        const TaggerParams& params, std::vector<size_t>* all) {
  params.validate();
  if (notes.size() < static_cast<size_t>(params.folds))
    throw InvalidInput("tagger: " + std::to_string(notes.size()) + " notes are fewer than the " +
                       std::to_string(params.folds) + " folds");
  all->resize(notes.size());
  for (size_t i = 0; i < all->size(); ++i) (*all)[i] = i;
  return featurize(rules, notes, params.hash_bits);
}

TaggerModel train_tagger(const Deidentifier& rules, const std::vector<AnnotatedNote>& notes, const TaggerParams& params,
                         const nlohmann::json& provenance, const std::vector<std::string>& group) {
  std::vector<size_t> all;
  const auto data = checked_features(rules, notes, params, &all);
  if (!group.empty() && group.size() != notes.size())
    throw InvalidInput("tagger: " + std::to_string(group.size()) + " sources for " + std::to_string(notes.size()) + " notes");
  TaggerModel m = train_on(data, all, source_weights(group, notes.size()), params);
  TaggerAccess::meta(m, params_json(params), provenance);
  return m;
}

std::array<double, K> choose_tagger_thresholds(const std::vector<TaggerOofSample>& oof,
                                               const std::vector<double>& weight, const TaggerParams& p,
                                               nlohmann::json* curve) {
  p.validate();
  for (const auto& o : oof)
    if (o.note >= weight.size() || !(weight[o.note] >= 0))
      throw InvalidInput("tagger: a sample of note " + std::to_string(o.note) + " has no weight (or a negative one)");
  const std::vector<double> grid = threshold_grid();
  std::array<double, K> th;
  const double b2 = p.beta * p.beta;
  if (curve) *curve = {{"grid", grid}};
  for (int c = 0; c < K; ++c) {
    double pos = 0;
    for (const auto& o : oof) pos += o.label == c ? weight[o.note] : 0;
    th[c] = 2.0;  // off: no example of the class
    if (pos == 0) continue;
    std::vector<double> rec(grid.size()), prec(grid.size());
    for (size_t g = 0; g < grid.size(); ++g) {
      double tp = 0, pred = 0;
      for (const auto& o : oof)
        if (o.prob[c] >= grid[g]) {
          pred += weight[o.note];
          tp += o.label == c ? weight[o.note] : 0;
        }
      rec[g] = tp / pos;
      prec[g] = pred > 0 ? tp / pred : 1.0;
    }
    if (curve) (*curve)[class_name(c)] = {{"recall", rec}, {"precision", prec}};
    // F_beta (ties: the lower threshold)
    double best = -1;
    for (size_t g = 0; g < grid.size(); ++g) {
      const double fb = prec[g] + rec[g] > 0 ? (1 + b2) * prec[g] * rec[g] / (b2 * prec[g] + rec[g]) : 0;
      if (fb > best + 1e-12) best = fb, th[c] = grid[g];
    }
    if (!recall_class(c) || p.recall <= 0) continue;
    // recall first: the highest threshold reaching the target within the precision floor, else
    // the lowest within the floor; F_beta's when no threshold keeps the floor
    // the floor holds from the top of the grid down to `lowest` (precision need not be monotone:
    // a lucky low threshold below a dip does not count)
    long reach = -1, lowest = -1;
    for (long g = static_cast<long>(grid.size()) - 1; g >= 0; --g) {
      if (prec[g] < p.min_precision) break;
      lowest = g;
      if (reach < 0 && rec[g] >= p.recall) reach = g;
    }
    if (reach >= 0)
      th[c] = grid[reach];
    else if (lowest >= 0)
      th[c] = grid[lowest];
  }
  return th;
}

std::vector<TaggerOofSample> tagger_out_of_fold(const Deidentifier& rules, const std::vector<AnnotatedNote>& notes,
                                                const TaggerParams& params) {
  std::vector<size_t> all;
  const auto data = checked_features(rules, notes, params, &all);
  return out_of_fold(data, all, params);
}

DeidScores add_scores(const DeidScores& a, const DeidScores& b) {
  DeidScores s = a;
  s.notes += b.notes;
  auto add = [](TypeScore& x, const TypeScore& y) {
    x.gold_tokens += y.gold_tokens;
    x.gold_found += y.gold_found;
    x.pred_tokens += y.pred_tokens;
    x.pred_correct += y.pred_correct;
  };
  for (int i = 0; i < kPhiTypes; ++i) add(s.by_type[i], b.by_type[i]);
  add(s.all, b.all);
  s.missed.insert(s.missed.end(), b.missed.begin(), b.missed.end());
  return s;
}

TaggerCvReport cross_validate_tagger(const Deidentifier& rules, const std::vector<AnnotatedNote>& notes,
                                     const std::vector<std::string>& group, const TaggerParams& params) {
  params.validate();
  MEDGEN_ASSERT(group.size() == notes.size());
  if (notes.size() < static_cast<size_t>(params.folds) * 2)
    throw InvalidInput("tagger: cross-validation needs at least " + std::to_string(params.folds * 2) + " notes");
  TaggerCvReport r;
  for (const std::string& g : group)
    if (std::find(r.groups.begin(), r.groups.end(), g) == r.groups.end()) r.groups.push_back(g);
  r.groups.push_back("all");
  r.rules.assign(r.groups.size(), DeidScores{});
  r.model.assign(r.groups.size(), DeidScores{});
  const auto data = featurize(rules, notes, params.hash_bits);
  std::vector<size_t> all(notes.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  // outer folds use another seed than the inner ones, so that they do not line up
  const std::vector<size_t> order = shuffled(all, params.seed ^ 0x5eed5eed5eedull);
  const Deidentifier rules_only = rules.with_model(nullptr);
  // the thresholds of each fold's model weigh the sources of its training notes alike
  const std::vector<double> weight = source_weights(group, notes.size());
  for (int f = 0; f < params.folds; ++f) {
    std::vector<size_t> in, out;
    for (size_t i = 0; i < order.size(); ++i) (static_cast<int>(i % params.folds) == f ? out : in).push_back(order[i]);
    std::sort(in.begin(), in.end());
    std::sort(out.begin(), out.end());
    auto m = std::make_shared<const TaggerModel>(train_on(data, in, weight, params));
    r.thresholds.push_back(m->thresholds());
    const Deidentifier with = rules.with_model(m);
    for (size_t gi = 0; gi + 1 < r.groups.size(); ++gi) {
      std::vector<AnnotatedNote> sub;
      for (size_t n : out)
        if (group[n] == r.groups[gi]) sub.push_back(notes[n]);
      if (sub.empty()) continue;
      const DeidScores a = evaluate_deid(rules_only, sub), b = evaluate_deid(with, sub);
      r.rules[gi] = add_scores(r.rules[gi], a);
      r.model[gi] = add_scores(r.model[gi], b);
      r.rules.back() = add_scores(r.rules.back(), a);
      r.model.back() = add_scores(r.model.back(), b);
    }
  }
  return r;
}

nlohmann::json TaggerCvReport::to_json() const {
  nlohmann::json g = nlohmann::json::object();
  for (size_t i = 0; i < groups.size(); ++i) g[groups[i]] = {{"rules", rules[i].to_json()}, {"rules_model", model[i].to_json()}};
  nlohmann::json th = nlohmann::json::array();
  for (const auto& t : thresholds) {
    nlohmann::json one = nlohmann::json::object();
    for (int c = 0; c < K; ++c) one[phi_type_name(kClassTypes[c])] = t[c];
    th.push_back(one);
  }
  return {{"groups", g}, {"thresholds", th}};
}

std::string TaggerCvReport::table() const {
  std::string out;
  char buf[200];
  for (size_t i = 0; i < groups.size(); ++i) {
    out += groups[i] + " (" + std::to_string(rules[i].notes) + " notes, out of fold)\n";
    out += "type       gold  rules: recall  precision  | rules+model: recall  precision\n";
    auto row = [&](const char* name, const TypeScore& a, const TypeScore& b) {
      std::snprintf(buf, sizeof buf, "%-9s %5zu         %6.3f  %9.3f  |               %6.3f  %9.3f\n", name,
                    a.gold_tokens, a.recall(), a.precision(), b.recall(), b.precision());
      out += buf;
    };
    for (int t = 0; t < kPhiTypes; ++t)
      if (rules[i].by_type[t].gold_tokens || rules[i].by_type[t].pred_tokens || model[i].by_type[t].pred_tokens)
        row(phi_type_name(static_cast<PhiType>(t)), rules[i].by_type[t], model[i].by_type[t]);
    row("all", rules[i].all, model[i].all);
    out += "\n";
  }
  return out;
}

}  // namespace medgen::text::deid
