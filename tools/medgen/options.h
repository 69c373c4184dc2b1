// The options layer every medgen subcommand is built on: the common options (--seed,
// --threads, -q/--quiet, --json, and where a command has them --json-out, --device), strictly
// parsed numbers with ranges, and the compatibility rewrite of old spellings. One meaning
// each, everywhere (docs/cli.md, "Common options"):
//   --seed N      0..2^64-1; the same seed and input give the same output (ignored by commands
//                 that draw nothing)
//   --threads N   1..256 worker threads (ignored by commands that run on one)
//   -q, --quiet   no progress and no notes on stderr; results on stdout are unchanged
//   --json        a JSON summary on stdout (instead of the text summary)
//   --json-out F  the command's JSON record written to the file F
//   --device D    cpu | cuda (commands that train or run neural networks)
// Not thread-safe: used from main() before any work starts.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <CLI/CLI.hpp>

#include "medgen/core/context.h"

namespace medgen::cli {

struct CommonOptions {
  uint64_t seed = 42;
  int threads = 1;
  bool quiet = false;
  bool json = false;         // --json: JSON summary on stdout
  std::string json_out;      // --json-out FILE ("" when not given)
  std::string device = "cpu";  // --device
};

// Extra common options a command may take besides the four every command accepts.
enum CommonExtras : unsigned { kNone = 0, kJsonOut = 1u << 0, kDevice = 1u << 1 };

// Adds --seed, --threads, -q/--quiet and --json to `app`, plus the requested extras.
// `json_help` says what --json prints for this command.
void add_common(CLI::App* app, CommonOptions* c, unsigned extras = kNone,
                const std::string& json_help = "print a JSON summary on stdout");

// A Context from the common options: seed, threads (validated and applied to OpenMP/BLAS),
// device, and a progress line on stderr when it is a terminal and not --quiet.
Context make_context(const CommonOptions& c);

// "medgen: TEXT" on stderr unless --quiet.
void note(const CommonOptions& c, const std::string& text);

// Writes `text` to `path`, atomically; "" or "-" means stdout.
void write_output(const std::string& path, const std::string& text);

// Strict number parsing for option values: decimal digits only (a leading '-' only for
// signed targets), no overflow, within [lo, hi]. Throws InvalidInput naming `name`, e.g.
// "--seed must be between 0 and 18446744073709551615, got -1". Long values are shortened in
// the message.
int64_t parse_signed(const std::string& name, const std::string& text, int64_t lo, int64_t hi);
uint64_t parse_unsigned(const std::string& name, const std::string& text, uint64_t lo, uint64_t hi);
// The same, saying which bounds are the option's own (the others are its type's limits): a
// message names both bounds only when both are the option's own, else the one crossed.
int64_t parse_signed(const std::string& name, const std::string& text, int64_t lo, int64_t hi, bool explicit_lo,
                     bool explicit_hi);
uint64_t parse_unsigned(const std::string& name, const std::string& text, uint64_t lo, uint64_t hi, bool explicit_lo,
                        bool explicit_hi);
// A finite decimal number in [lo, hi] (lo excluded when lo_open).
double parse_real(const std::string& name, const std::string& text, double lo, double hi, bool lo_open = false);

// The name an option's errors use: the first of its comma-separated names ("-n,--rows" -> "-n").
std::string option_display_name(const std::string& names);

// An integer option parsed strictly (see parse_signed) into *target, within [lo, hi].
template <typename T>
CLI::Option* add_integer(CLI::App* app, const std::string& names, T* target, const std::string& help,
                         T lo = std::numeric_limits<T>::min(), T hi = std::numeric_limits<T>::max()) {
  static_assert(std::is_integral_v<T> && sizeof(T) <= 8, "integer targets only");
  const std::string shown = option_display_name(names);
  auto* o = app->add_option_function<std::string>(
      names,
      [=](const std::string& s) {
        const bool explicit_lo = lo != std::numeric_limits<T>::min(), explicit_hi = hi != std::numeric_limits<T>::max();
        if constexpr (std::is_signed_v<T>)
          *target = static_cast<T>(parse_signed(shown, s, static_cast<int64_t>(lo), static_cast<int64_t>(hi),
                                                explicit_lo, explicit_hi));
        else
          *target = static_cast<T>(parse_unsigned(shown, s, static_cast<uint64_t>(lo), static_cast<uint64_t>(hi),
                                                  explicit_lo, explicit_hi));
      },
      help);
  o->type_name("INT");
  return o;
}

// An option's default as its help shows it ("[1000]", "[0.05]").
template <typename T>
std::string default_text(T v) {
  if constexpr (std::is_integral_v<T>) {
    return std::to_string(v);
  } else {
    std::string s = std::to_string(static_cast<double>(v));
    while (s.size() > 1 && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }
}

// A real-number option parsed strictly (see parse_real) into *target.
CLI::Option* add_real(CLI::App* app, const std::string& names, double* target, const std::string& help,
                      double lo = -std::numeric_limits<double>::max(),
                      double hi = std::numeric_limits<double>::max(), bool lo_open = false);

// Old spellings kept working for one release, rewritten before parsing, each with a note on
// stderr (none under -q/--quiet): `--json FILE` (and `--json=FILE`) on `evaluate` and on
// `image train|sample|evaluate|enhance|anomaly|degrade` becomes `--json-out FILE`. `--json`
// followed by an option, or by nothing, stays the flag. Returns the rewritten arguments.
std::vector<std::string> rewrite_legacy_arguments(const std::vector<std::string>& args);

}  // namespace medgen::cli
