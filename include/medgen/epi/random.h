// The random draws and densities of the outbreak models, on medgen's Rng (same seed, same
// numbers on every platform): gamma (Marsaglia & Tsang 2000), Poisson (inversion for small
// means, Hörmann's PTRS transformed rejection for large ones), negative binomial as a
// gamma-Poisson mixture, and the negative binomial log-probability.
// Thread safety: pure functions of their Rng.
#pragma once

#include "medgen/core/rng.h"

namespace medgen::epi {

double draw_gamma(Rng& rng, double shape, double scale);
double draw_poisson(Rng& rng, double mean);
// Mean `mean`, size (dispersion) `size`: variance mean + mean^2 / size.
double draw_negbin(Rng& rng, double mean, double size);
double negbin_logpmf(double y, double mean, double size);

}  // namespace medgen::epi
