// The autoregressive synthesizer ("autoregressive"): an any-order autoregressive model of the
// table, in the spirit of TabularARGN (Tiwald et al., MOSTLY AI, 2025) and of order-agnostic
// NADE (Uria, Murray & Larochelle, 2014; Hoogeboom et al., "Autoregressive Diffusion Models",
// 2022).
//
// Tokens. Every learned column becomes one categorical variable:
//  - categorical / boolean: its levels seen in training, plus "missing" when the column has
//    missing values. With more than max_categories levels the most frequent
//    (max_categories - 1) keep their own token and the rest share an "other" token, drawn back
//    in proportion to their training frequencies.
//  - numerical / datetime: "atoms" (each distinct value when there are at most `bins` of them;
//    otherwise the values that make up at least 1/bins of the column), the remaining values cut
//    into quantile bins (at most bins - atoms), plus "missing". A bin token is turned back into a
//    value drawn uniformly within the bin (a uniform whole number for integer columns), then
//    rounded to the schema's decimals and clipped to its bounds.
//  - identifiers are regenerated, text columns left out (as for every synthesizer).
//
// Network. p(x) = prod_k p(x_{o_k} | x_{o_1..o_{k-1}}) for an order o. One MLP gives every
// conditional: its first layer is the sum of a learned vector per (column, token) over the
// columns already known (the product of a masked one-hot input with a weight matrix), then
// `hidden` ReLU layers, then one linear output whose slice for column j holds the logits of
// p(x_j | known columns). Training draws for every row a random order and a random number d of
// known columns (the first d in that order) and minimises D / (D - d) times the summed
// cross-entropy of the D - d unknown columns: an unbiased estimate of the negative
// log-likelihood averaged over orders, so the one network learns the conditional of any column
// given any subset of the others. A share `fixed_order_share` of the rows uses the sampling
// order (schema order) instead, which the unconditional sampler then follows.
//
// Early stopping (default on): a share `validation_share` of the rows (at least 32, at most a
// quarter of the table; fewer rows: none, with a warning) is held out. After every epoch the
// same estimate of the NLL is computed on them, with orders and known counts drawn once, so
// it moves only with the weights; the best epoch's weights are kept, training stops after
// `patience` epochs without improvement, and the model is the best epoch's weights (not a
// retrain on all rows: that would double the cost and its stopping point would be a guess).
// The best weights travel with checkpoints, so a resumed run ends exactly as an uninterrupted
// one.
//
// Sampling goes column by column in schema order: one forward pass of the hidden layers per
// column, the logits of that column only, a categorical draw, and the drawn token's vector
// added to the first layer. Conditions (col=value on categorical/boolean columns) are put first
// in the order: their tokens are added before the first draw, and every other column is drawn
// from the learned conditional given them. Every row satisfies the conditions, exactly n rows,
// no rejection, no importance weights.
//
// Imputation (impute below) uses the same machinery: a row's present cells are the known
// columns, and its missing cells are drawn one after the other (schema order) from the learned
// conditional given everything known so far, "missing" excluded.
//
// Model files: privacy "exact" stores the atoms and bin edges, which are values of the training
// data (order statistics), and the schema's exact bounds. privacy "coarse" stores instead bin
// edges rounded to 3 significant digits (the outer edges and the schema's bounds rounded
// outward, as the copula does), atoms only for values seen at least 5 times (rarer ones fall into
// bins), and the shares of folded categories on a grid of 1/200. The network weights are trained
// on the rows, as for every neural synthesizer.
//
// Thread safety and global state: as tvae (see synthesizer.h). fit, sample and impute seed
// LibTorch's global generator from ctx.seed and set its process-wide intra-op thread count.
#pragma once

#include <string>

#include "medgen/core/context.h"
#include "medgen/core/error.h"
#include "medgen/core/table.h"
#include "medgen/tabular/synthesizer.h"

namespace medgen::tabular {

// A fitted model that can fill in missing cells (the autoregressive synthesizer is one).
class Imputer {
 public:
  virtual ~Imputer() = default;
  // `table` with the model's learned columns (matched by name; other columns are copied
  // unchanged) and every missing cell of a learned column drawn from the model's conditional
  // given the row's present cells. Cells the model cannot fill (a column that was entirely
  // missing in training) stay missing. InvalidInput for a table that lacks a learned column or
  // holds a label the schema does not list. Deterministic from ctx.seed.
  virtual Table impute(const Table& table, const Context& ctx) const = 0;
};

// impute() of a synthesizer that is an Imputer; InvalidInput naming it otherwise.
inline Table impute(const Synthesizer& synthesizer, const Table& table, const Context& ctx) {
  const auto* imputer = dynamic_cast<const Imputer*>(&synthesizer);
  if (!imputer) throw InvalidInput("synthesizer '" + synthesizer.name() + "' cannot impute missing values");
  return imputer->impute(table, ctx);
}

}  // namespace medgen::tabular
