// End-to-end operations behind the CLI commands, so that every program (CLI, tests, later
// the server) runs the same code: load a CSV with an inferred or given schema, fit and save
// a model, sample from a model file, compare real and synthetic columns, run the demo.
// Thread safety: these functions run whole commands through the synthesizers' fit and sample, so
// they share the neural synthesizers' process-wide state (LibTorch's generator and thread count,
// signal handlers while training; see ctgan.h): one command at a time per process. Output files
// are written atomically through core/file.h.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/context.h"
#include "medgen/core/csv.h"
#include "medgen/core/progress.h"
#include "medgen/core/schema.h"
#include "medgen/core/table.h"
#include "medgen/tabular/synthesizer.h"

namespace medgen::tabular {

struct Dataset {
  std::string path;
  std::string sha256;  // of the file's bytes
  Schema schema;       // given or inferred
  Table table;         // typed by schema
  std::vector<std::string> warnings;
};

// Reads a CSV and types it by the schema at schema_path (empty: infer). InvalidInput when
// the file has no data rows.
// Progress (optional) shows the stages of large reads on a terminal.
Dataset load_dataset(const std::string& csv_path, const std::string& schema_path, const CsvOptions& csv = {},
                     Progress* progress = nullptr);

struct FitRequest {
  std::string input;                // CSV path
  std::string schema_path;          // empty: infer
  std::string synthesizer = "copula";
  nlohmann::json params = nlohmann::json::object();  // synthesizer options
  std::string output;               // model file path
  bool reproducible = false;        // leave wall-clock time out of the model file
  std::string checkpoint;           // neural synthesizers: checkpoint file (empty: <output>.ckpt)
  bool resume = false;              // continue training from the checkpoint
  CsvOptions csv;
  // Read the CSV in chunks instead of whole (copula and independent; see fit_model).
  bool stream = false;
  size_t stream_block_bytes = size_t{8} << 20;  // with stream: bytes read at a time
};

// With FitRequest::stream, the schema when none is given is inferred from this many bytes at
// the start of the file (whole records).
inline constexpr size_t kStreamInferPrefixBytes = size_t{16} << 20;

struct FitResult {
  double seconds = 0;
  size_t rows = 0, columns = 0;
  std::vector<std::string> warnings;
  nlohmann::json summary;
  nlohmann::json stream;  // streamed fits: rows, chunks, reservoir, sampled, buffer (else null)
};

// Loads, fits, saves atomically. The model file is written only when everything succeeded.
// With request.stream the CSV is never held whole: the copula's fit_stream (copula.h) reads it
// twice in blocks of stream_block_bytes (a regular file, not a pipe), and the provenance's
// SHA-256 is computed on the way (the two passes must see the same bytes). Without a schema,
// one is inferred from the first kStreamInferPrefixBytes of records and widened by the whole
// file (labels, ranges, decimals; CopulaStreamOptions::widen_schema); a value that does not
// fit its inferred type later in the file is InvalidInput at its line, with a hint to give a
// schema. InvalidInput, before anything is read, for a synthesizer without a streamed fit.
FitResult fit_model(const FitRequest& request, const Context& ctx);

struct SampleRequest {
  std::string model;                  // model file path
  size_t rows = 1000;                 // exactly this many rows
  std::vector<Condition> conditions;  // all rows satisfy all of them
  std::string balance;                // non-empty: spread rows evenly over this column's levels
  // Sharded sampling (sample_to_csv only): the request's chunks are split into `shards`
  // contiguous runs and this call draws run `shard` (0-based). Each chunk keeps the seed and
  // the identifiers it has in one process, so the shards' files, concatenated in shard order
  // (headers after the first dropped), equal the one-process file byte for byte.
  size_t shards = 1;
  size_t shard = 0;
};

// Loads a model and samples in memory. Returns the table and the schema to format it with.
Table sample_model(const SampleRequest& request, const Context& ctx, Schema* schema);

// Loads a model, samples and writes CSV to `path` ("" or "-": stdout) in chunks of at most
// chunk_rows rows, so memory stays bounded for any n. The file appears only when complete
// (temporary name, then rename). Chunks are seeded from ctx.seed deterministically; a request
// that fits in one chunk gives the same rows as sample_model. Identifiers run 1..n.
// Returns the number of rows written (request.rows; with shards, this shard's share).
size_t sample_to_csv(const SampleRequest& request, const Context& ctx, const std::string& path,
                     size_t chunk_rows = size_t{1} << 20);
// The same from a model in memory (request.model is not read): the Python package samples a
// model it holds with the CLI's chunking and seeds, so both write the same bytes.
size_t sample_to_csv(const Synthesizer& synth, const SampleRequest& request, const Context& ctx,
                     const std::string& path, size_t chunk_rows = size_t{1} << 20);

// A plain-text, one-screen comparison of real and synthetic columns: for numbers mean, sd
// and missing %; for labels the top level's share and missing %.
std::string compare_columns(const Table& real, const Schema& schema,
                            const std::vector<std::pair<std::string, Table>>& synthetic, size_t width = 100);

// Mean absolute difference between the pairwise correlation matrices (Pearson on numbers and
// on one-hot-free codes of booleans) of real and synthetic tables; a quick dependence check
// used by the demo and tests.
double correlation_error(const Table& real, const Table& synthetic, const Schema& schema);

struct DemoOptions {
  std::string data;            // empty: the embedded data/pbc.csv
  std::string out_dir = "demo-out";
  size_t rows = 1000;          // synthetic rows per synthesizer
};

// Fits every registered synthesizer on the data, writes <out_dir>/<name>.csv and
// <name>.medgen, and returns the side-by-side summary text.
std::string run_demo(const DemoOptions& options, const Context& ctx);

// Where the embedded default data set lives (source tree, found at build time).
std::string default_data_path();

}  // namespace medgen::tabular
