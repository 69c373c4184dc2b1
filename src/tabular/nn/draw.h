// Drawing data rows from a generator's raw outputs: the one loop every neural sampler ends
// with. No LibTorch here; this file is built without the precompiled header and with
// -fno-trapping-math, which lets the compiler vectorise the exponentials (see CMakeLists.txt).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "medgen/core/rng.h"

namespace medgen::tabular::nnlib {

// Turns a generator's raw (rows x dim) outputs into data rows in one pass over memory: tanh on
// each scalar column (plus N(0, sigma[col]) noise and a clamp to [-1, 1] where sigma is given,
// as tvae's decoder does) and, for each softmax span, a one-hot draw from the span's softmax
// (inverse CDF, one uniform per span: the same distribution as a Gumbel-max draw). Replaces a
// dozen small tensor ops per chunk, whose overhead dominated sampling. out may alias raw.
void draw_rows(const float* raw, int64_t rows, int64_t dim, const std::vector<int64_t>& scalars,
               const float* sigma, const std::vector<std::pair<int64_t, int64_t>>& spans, Rng& rng, float* out);

}  // namespace medgen::tabular::nnlib
