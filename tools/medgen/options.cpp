// The options layer shared by every medgen subcommand (see options.h).
#include "options.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/progress.h"

namespace medgen::cli {

namespace {

// The value as shown in a message: long inputs (a 400-digit number) are shortened.
std::string shown_value(const std::string& text) {
  if (text.size() <= 40) return text;
  return text.substr(0, 20) + "..." + text.substr(text.size() - 8) + " (" + std::to_string(text.size()) + " characters)";
}

// "NAME must be between LO and HI" when both bounds are the option's own, else the bound that
// was crossed ("at least LO", "at most HI"), then ", got VALUE".
[[noreturn]] void out_of_range(const std::string& name, const std::string& text, const std::string& lo,
                               const std::string& hi, bool both, bool too_low) {
  std::string m = name + " must be ";
  if (both)
    m += "between " + lo + " and " + hi;
  else if (too_low)
    m += "at least " + lo;
  else
    m += "at most " + hi;
  throw InvalidInput(m + ", got " + shown_value(text));
}

bool all_digits(const std::string& s, size_t from) {
  if (from >= s.size()) return false;
  for (size_t i = from; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

std::string real_text(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

}  // namespace

std::string option_display_name(const std::string& names) {
  const size_t comma = names.find(',');
  return comma == std::string::npos ? names : names.substr(0, comma);
}

uint64_t parse_unsigned(const std::string& name, const std::string& text, uint64_t lo, uint64_t hi, bool explicit_lo,
                        bool explicit_hi) {
  const std::string los = std::to_string(lo), his = std::to_string(hi);
  const bool both = explicit_lo && explicit_hi;
  const size_t from = (!text.empty() && text[0] == '+') ? 1 : 0;
  if (!text.empty() && text[0] == '-' && all_digits(text, 1))
    out_of_range(name, text, los, his, both, true);  // a negative value for a count or a seed
  if (!all_digits(text, from)) throw InvalidInput(name + ": '" + shown_value(text) + "' is not a whole number");
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str() + from, nullptr, 10);
  if (errno == ERANGE || v > hi) out_of_range(name, text, los, his, both, false);
  if (v < lo) out_of_range(name, text, los, his, both, true);
  return v;
}

uint64_t parse_unsigned(const std::string& name, const std::string& text, uint64_t lo, uint64_t hi) {
  return parse_unsigned(name, text, lo, hi, lo > 0, hi < std::numeric_limits<uint64_t>::max());
}

int64_t parse_signed(const std::string& name, const std::string& text, int64_t lo, int64_t hi, bool explicit_lo,
                     bool explicit_hi) {
  const std::string los = std::to_string(lo), his = std::to_string(hi);
  const bool both = explicit_lo && explicit_hi;
  const size_t from = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
  if (!all_digits(text, from)) throw InvalidInput(name + ": '" + shown_value(text) + "' is not a whole number");
  errno = 0;
  const long long v = std::strtoll(text.c_str(), nullptr, 10);
  const bool overflow = errno == ERANGE, negative = text[0] == '-';
  if ((overflow && negative) || v < lo) out_of_range(name, text, los, his, both, true);
  if (overflow || v > hi) out_of_range(name, text, los, his, both, false);
  return v;
}

int64_t parse_signed(const std::string& name, const std::string& text, int64_t lo, int64_t hi) {
  return parse_signed(name, text, lo, hi, lo > std::numeric_limits<int64_t>::min(),
                      hi < std::numeric_limits<int64_t>::max());
}

double parse_real(const std::string& name, const std::string& text, double lo, double hi, bool lo_open) {
  // Digits, one optional sign, point and exponent: no hex, no "inf"/"nan", no spaces.
  const bool shape = !text.empty() && text.find_first_not_of("0123456789+-.eE") == std::string::npos &&
                     text.find_first_of("0123456789") != std::string::npos;
  char* end = nullptr;
  errno = 0;
  const double v = shape ? std::strtod(text.c_str(), &end) : 0;
  if (!shape || end != text.c_str() + text.size())
    throw InvalidInput(name + ": '" + shown_value(text) + "' is not a number");
  // Beyond a double's range (1e999) strtod gives +-inf, which fails the bounds below.
  const double big = std::numeric_limits<double>::max();
  const bool has_lo = lo > -big, has_hi = hi < big;
  const bool too_low = lo_open ? !(v > lo) : !(v >= lo);
  if (too_low || !(v <= hi)) {
    if (lo_open)
      throw InvalidInput(name + " must be more than " + real_text(lo) + (has_hi ? " and at most " + real_text(hi) : "") +
                         ", got " + shown_value(text));
    out_of_range(name, text, real_text(lo), real_text(hi), has_lo && has_hi, too_low);
  }
  return v;
}

CLI::Option* add_real(CLI::App* app, const std::string& names, double* target, const std::string& help, double lo,
                      double hi, bool lo_open) {
  const std::string shown = option_display_name(names);
  auto* o = app->add_option_function<std::string>(
      names, [=](const std::string& s) { *target = parse_real(shown, s, lo, hi, lo_open); }, help);
  o->type_name("NUMBER");
  return o;
}

void add_common(CLI::App* app, CommonOptions* c, unsigned extras, const std::string& json_help) {
  add_integer<uint64_t>(app, "--seed", &c->seed, "random seed: the same seed and input give the same output")
      ->default_str(std::to_string(c->seed));
  add_integer<int>(app, "--threads", &c->threads, "worker threads", 1, 256)->default_str(std::to_string(c->threads));
  app->add_flag("-q,--quiet", c->quiet, "no progress or notes on stderr");
  app->add_flag("--json", c->json, json_help);
  if (extras & kJsonOut) app->add_option("--json-out", c->json_out, "write the JSON record to this file");
  if (extras & kDevice)
    app->add_option("--device", c->device, "cpu or cuda")
        ->check(CLI::IsMember({"cpu", "cuda"}))
        ->default_str(c->device);
}

Context make_context(const CommonOptions& c) {
  // Progress on stderr only for a person watching a terminal.
  static Progress progress(!c.quiet && Progress::stderr_is_terminal());
  Context ctx;
  ctx.progress = &progress;
  ctx.seed = c.seed;
  ctx.threads = c.threads;
  if (c.device == "cuda")
    ctx.device = Device::kCuda;
  else if (c.device != "cpu")
    throw InvalidInput("--device: expected 'cpu' or 'cuda', got '" + c.device + "'");
  ctx.validate();
  apply_threads(ctx);
  return ctx;
}

void note(const CommonOptions& c, const std::string& text) {
  if (!c.quiet) std::fprintf(stderr, "medgen: %s\n", text.c_str());
}

void write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  } else {
    write_file_atomic(path, text);
  }
}

std::vector<std::string> rewrite_legacy_arguments(const std::vector<std::string>& args) {
  std::vector<std::string> out = args;
  // The command words: `evaluate`, or `image` and its subcommand (neither takes options first).
  const bool legacy_json =
      (out.size() > 1 && out[1] == "evaluate") ||
      (out.size() > 2 && out[1] == "image" &&
       (out[2] == "train" || out[2] == "sample" || out[2] == "evaluate" || out[2] == "enhance" ||
        out[2] == "anomaly" || out[2] == "degrade"));
  if (!legacy_json) return out;
  bool quiet = false, rewritten = false;
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i] == "--") break;
    if (out[i] == "-q" || out[i] == "--quiet") quiet = true;
    if (out[i] == "--json" && i + 1 < out.size() && !out[i + 1].empty() && out[i + 1][0] != '-') {
      out[i] = "--json-out";
      rewritten = true;
      ++i;
    } else if (out[i].rfind("--json=", 0) == 0) {
      out[i] = "--json-out=" + out[i].substr(7);
      rewritten = true;
    }
  }
  if (rewritten && !quiet)
    std::fprintf(stderr,
                 "medgen: note: '--json FILE' is now '--json-out FILE' ('--json' alone prints JSON on stdout); "
                 "the old spelling works until the next release\n");
  return out;
}

}  // namespace medgen::cli
