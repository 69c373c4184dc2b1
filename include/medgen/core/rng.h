// Deterministic random numbers: xoshiro256** seeded by splitmix64, with our own
// distributions so that the same seed gives the same stream on every platform and libstdc++.
// Thread safety: an Rng is a value used by one thread at a time; give each thread or task its
// own stream (split, or an Rng seeded from a derived seed). The shared ziggurat table is built
// once, thread-safely, on first use. No global state.
#pragma once

#include <cmath>
#include <cstdint>

namespace medgen {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { reseed(seed); }

  void reseed(uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9E3779B97F4A7C15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      s_[&s - s_] = z ^ (z >> 31);
    }
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double uniform() { return (next() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1): safe for log().
  double uniform_open() { return ((next() >> 11) + 0.5) * 0x1.0p-53; }
  // Uniform integer in [0, n).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>(uniform() * static_cast<double>(n)) % n; }

  // Standard normal: the ziggurat method of Marsaglia & Tsang (2000) with 128 layers, using
  // 53 high bits for the value and the 7 low bits for the layer so the two are independent.
  double normal() {
    const Ziggurat& z = ziggurat();
    for (;;) {
      const uint64_t u = next();
      const size_t i = u & 127;
      const int64_t h = static_cast<int64_t>(u) >> 11;  // signed, |h| < 2^52
      const double x = static_cast<double>(h) * z.w[i];
      if (static_cast<uint64_t>(h < 0 ? -h : h) < z.k[i]) return x;  // inside the layer's rectangle
      if (i == 0) {                                                  // the tail beyond r
        double a, b;
        do {
          a = -std::log(uniform_open()) / Ziggurat::kR;
          b = -std::log(uniform_open());
        } while (b + b < a * a);
        return h > 0 ? Ziggurat::kR + a : -Ziggurat::kR - a;
      }
      if (z.f[i] + uniform() * (z.f[i - 1] - z.f[i]) < std::exp(-0.5 * x * x)) return x;  // wedge
    }
  }

  // Derive an independent stream for a sub-task (e.g. one column).
  Rng split(uint64_t salt) { return Rng(next() ^ (salt * 0xD1B54A32D192ED03ULL)); }

 private:
  struct Ziggurat {
    static constexpr double kR = 3.442619855899;   // start of the tail
    static constexpr double kV = 9.91256303526217e-3;  // area of each layer
    uint64_t k[128];
    double w[128], f[128];
    Ziggurat() {
      const double m = 4503599627370496.0;  // 2^52
      double dn = kR, tn = kR;
      const double q = kV / std::exp(-0.5 * dn * dn);
      k[0] = static_cast<uint64_t>((dn / q) * m);
      k[1] = 0;
      w[0] = q / m;
      w[127] = dn / m;
      f[0] = 1.0;
      f[127] = std::exp(-0.5 * dn * dn);
      for (int i = 126; i >= 1; --i) {
        dn = std::sqrt(-2.0 * std::log(kV / dn + std::exp(-0.5 * dn * dn)));
        k[i + 1] = static_cast<uint64_t>((dn / tn) * m);
        tn = dn;
        f[i] = std::exp(-0.5 * dn * dn);
        w[i] = dn / m;
      }
    }
  };
  static const Ziggurat& ziggurat() {
    static const Ziggurat z;
    return z;
  }
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace medgen
