#include "medgen/tabular/pipeline.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "medgen/core/csv_stream.h"
#include "medgen/core/distributed.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/model_file.h"
#include "medgen/core/version.h"
#include "medgen/tabular/copula.h"

namespace medgen::tabular {

using json = nlohmann::json;

std::string default_data_path() {
  const std::string built = std::string(MEDGEN_DATA_DIR) + "/pbc.csv";
  if (std::filesystem::exists(built)) return built;
  return "data/pbc.csv";
}

Dataset load_dataset(const std::string& csv_path, const std::string& schema_path, const CsvOptions& csv,
                     Progress* progress) {
  Dataset d;
  d.path = csv_path;
  if (progress) progress->stage("reading " + csv_path);
  const std::string bytes = read_file(csv_path);
  d.sha256 = sha256_hex(bytes);
  if (progress) progress->stage("parsing " + csv_path);
  RawTable raw = parse_csv(bytes, csv_path, csv);
  if (raw.num_rows() == 0) throw InvalidInput(located(csv_path, 1, 0, "the file has a header but no data rows"));
  if (progress) progress->stage(schema_path.empty() ? "inferring the schema" : "reading the schema");
  d.schema = schema_path.empty() ? infer_schema(raw, csv, {}, &d.warnings) : Schema::read(schema_path);
  if (progress) progress->stage("typing " + std::to_string(raw.num_rows()) + " rows");
  d.table = to_table(raw, d.schema, csv);
  if (progress) progress->end();
  return d;
}

namespace {

// The streamed read behind fit --stream: the schema, then the copula's two passes over the
// file; the SHA-256 of each pass, which must agree.
class StreamedInput : public TableChunkSource {
 public:
  StreamedInput(const FitRequest& request, std::vector<std::string>* warnings) : request_(request) {
    std::error_code ec;
    const auto status = std::filesystem::status(request.input, ec);
    if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
      throw InvalidInput("fit --stream: '" + request.input + "' is not a regular file (it is read twice, so not a pipe or a device)");
    // The first records: that there are any, and the schema when none is given.
    inferred_ = request.schema_path.empty();
    CsvChunkReader prefix(request.input, request.csv,
                          CsvStreamOptions{inferred_ ? kStreamInferPrefixBytes : request.stream_block_bytes});
    RawTable raw;
    if (!prefix.next(&raw)) throw InvalidInput(located(request.input, 1, 0, "the file has a header but no data rows"));
    if (inferred_) {
      schema_ = infer_schema(raw, request.csv, {}, warnings);
      prefix_rows_ = raw.num_rows();
      if (!prefix.next(&raw))
        inferred_whole_ = true;
      else
        warnings->push_back("the schema was inferred from the first " + std::to_string(prefix_rows_) +
                            " rows and widened by the rest (--schema gives one)");
    } else {
      schema_ = Schema::read(request.schema_path);
    }
    chunks_ = std::make_unique<CsvTableChunks>(request.input, schema_, request.csv,
                                               CsvStreamOptions{request.stream_block_bytes}, inferred_);
  }
  bool next(Table* chunk) override {
    try {
      return chunks_->next(chunk);
    } catch (const InvalidInput& e) {
      // A value the prefix did not foresee (to_table's messages name the column).
      const std::string what = e.what();
      if (!inferred_ || inferred_whole_ || what.find(": column '") == std::string::npos) throw;
      throw InvalidInput(what + " (the schema was inferred from the first " + std::to_string(prefix_rows_) +
                         " rows: write one with `medgen schema`, correct it and pass --schema)");
    }
  }
  void rewind() override {
    first_sha256_ = chunks_->reader().sha256_hex();
    chunks_->rewind();
  }
  // The file's SHA-256; InvalidInput when the passes read different bytes.
  std::string sha256() const {
    const std::string last = chunks_->reader().sha256_hex();
    if (!first_sha256_.empty() && first_sha256_ != last)
      throw InvalidInput(request_.input + ": the file changed between the two passes of the streamed fit");
    return last;
  }
  const Schema& schema() const { return schema_; }
  bool inferred() const { return inferred_; }
  size_t peak_buffer_bytes() { return chunks_->reader().peak_buffer_bytes(); }

 private:
  const FitRequest& request_;
  Schema schema_;
  bool inferred_ = false, inferred_whole_ = false;
  size_t prefix_rows_ = 0;
  std::unique_ptr<CsvTableChunks> chunks_;
  std::string first_sha256_;
};

}  // namespace

FitResult fit_model(const FitRequest& request, const Context& ctx) {
  ctx.validate();
  if (request.output.empty()) throw InvalidInput("fit: an output model path (-o) is required");
  const DistributedConfig& dist = distributed();
  if (dist.enabled() && request.synthesizer != "tvae")
    throw InvalidInput("fit: data-parallel training (--world-size " + std::to_string(dist.world_size) +
                       ") is implemented for tvae only, not for '" + request.synthesizer + "'");
  auto synth = create_synthesizer(request.synthesizer, request.params);
  auto* copula = dynamic_cast<CopulaSynthesizer*>(synth.get());
  if (request.stream && !copula)
    throw InvalidInput("fit --stream: synthesizer '" + request.synthesizer +
                       "' has no streamed fit (copula and independent have one)");
  if (request.stream && request.stream_block_bytes == 0) throw InvalidInput("fit --stream: the block size must be at least 1 byte");
  synth->set_checkpoint(request.checkpoint.empty() ? request.output + ".ckpt" : request.checkpoint, request.resume);
  FitResult r;
  std::string sha256;
  double seconds = 0;
  if (request.stream) {
    StreamedInput input(request, &r.warnings);
    const auto t0 = std::chrono::steady_clock::now();
    const CopulaStreamStats st = copula->fit_stream(input, input.schema(), ctx, CopulaStreamOptions{0, input.inferred()});
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sha256 = input.sha256();
    r.rows = static_cast<size_t>(st.rows);
    r.columns = input.schema().columns.size();
    r.stream = json{{"rows", st.rows},
                    {"chunks_per_pass", st.chunks},
                    {"largest_chunk_rows", st.max_chunk_rows},
                    {"reservoir_cap", st.reservoir_cap},
                    {"largest_reservoir", st.max_reservoir},
                    {"sampled", st.sampled},
                    {"block_bytes", request.stream_block_bytes},
                    {"largest_buffer_bytes", input.peak_buffer_bytes()},
                    {"schema", input.inferred() ? "inferred from a prefix" : "given"}};
  } else {
    Dataset data;
    try {
      data = load_dataset(request.input, request.schema_path, request.csv, ctx.progress);
    } catch (const IoError& e) {
      const std::string what = e.what();
      if (!copula || what.find(": larger than ") == std::string::npos) throw;
      throw IoError(what + " (fit --stream reads a file of any size in chunks)");
    }
    const auto t0 = std::chrono::steady_clock::now();
    synth->fit(data.table, data.schema, ctx);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sha256 = data.sha256;
    r.rows = data.table.num_rows();
    r.columns = data.table.num_cols();
    r.warnings = data.warnings;
  }
  r.seconds = seconds;
  r.warnings.insert(r.warnings.end(), synth->warnings().begin(), synth->warnings().end());
  r.summary = synth->summary();
  Provenance p;
  p.input_name = std::filesystem::path(request.input).filename().string();
  p.input_sha256 = sha256;
  p.rows = r.rows;
  p.columns = r.columns;
  p.train_seconds = request.reproducible ? 0.0 : r.seconds;
  p.seed = ctx.seed;
  p.threads = ctx.threads;
  if (dist.rank == 0) save_model(*synth, p, request.output);  // one model, written by rank 0
  return r;
}

Table sample_model(const SampleRequest& request, const Context& ctx, Schema* schema) {
  ctx.validate();
  if (request.rows == 0) throw InvalidInput("-n must be at least 1");
  LoadedModel m = load_model(request.model);
  if (schema) *schema = m.synthesizer->schema();
  if (!request.balance.empty())
    return sample_balanced(*m.synthesizer, request.rows, request.balance, request.conditions, ctx);
  return m.synthesizer->sample(request.rows, request.conditions, ctx);
}

size_t sample_to_csv(const SampleRequest& request, const Context& ctx, const std::string& path, size_t chunk_rows) {
  ctx.validate();
  if (request.rows == 0) throw InvalidInput("-n must be at least 1");
  if (chunk_rows == 0) throw InvalidInput("chunk size must be at least 1");
  LoadedModel m = load_model(request.model);
  return sample_to_csv(*m.synthesizer, request, ctx, path, chunk_rows);
}

size_t sample_to_csv(const Synthesizer& synth, const SampleRequest& request, const Context& ctx,
                     const std::string& path, size_t chunk_rows) {
  ctx.validate();
  if (request.rows == 0) throw InvalidInput("-n must be at least 1");
  if (chunk_rows == 0) throw InvalidInput("chunk size must be at least 1");
  if (request.shards < 1 || request.shards > 1024 || request.shard >= request.shards)
    throw InvalidInput("shard " + std::to_string(request.shard) + " of " + std::to_string(request.shards) +
                       ": the shard must be in 0 .. shards - 1 and shards in 1 .. 1024");
  const Schema& schema = synth.schema();
  // The parts to draw: one, or one per level for --balance (exact equal shares).
  struct Part {
    std::vector<Condition> conditions;
    size_t rows;
  };
  std::vector<Part> parts;
  if (request.balance.empty()) {
    parts.push_back({request.conditions, request.rows});
  } else if (request.rows <= chunk_rows) {
    parts.push_back({request.conditions, request.rows});  // sample_balanced below
  } else {
    const std::vector<std::string> levels = balance_levels(synth, request.balance, request.conditions, ctx);
    for (size_t k = 0; k < levels.size(); ++k) {
      std::vector<Condition> c = request.conditions;
      c.push_back({request.balance, levels[k]});
      parts.push_back({c, request.rows / levels.size() + (k < request.rows % levels.size() ? 1 : 0)});
    }
  }
  // Every chunk of the request in order, then this shard's contiguous run of them.
  struct Chunk {
    size_t part, rows, offset;  // offset: rows of the request before this chunk
  };
  std::vector<Chunk> chunks;
  size_t offset = 0;
  for (size_t pi = 0; pi < parts.size(); ++pi)
    for (size_t done = 0; done < parts[pi].rows; done += chunk_rows) {
      const size_t rows = std::min(chunk_rows, parts[pi].rows - done);
      chunks.push_back({pi, rows, offset});
      offset += rows;
    }
  const size_t first = (chunks.size() * request.shard + request.shards - 1) / request.shards;
  const size_t last = (chunks.size() * (request.shard + 1) + request.shards - 1) / request.shards;
  size_t mine = 0;
  for (size_t k = first; k < last; ++k) mine += chunks[k].rows;
  AtomicFileWriter out(path);
  size_t written = 0;
  Progress* progress = request.rows > chunk_rows ? ctx.progress : nullptr;
  if (progress) progress->begin("sampling", mine);
  if (first == last) {  // more shards than chunks: this one writes the header alone
    Table t = synth.sample(1, request.conditions, ctx);
    for (Column& c : t.columns) c = c.take({});
    out.write(to_csv(t, schema, true));
  }
  for (size_t chunk_index = first; chunk_index < last; ++chunk_index) {
    const Chunk& ch = chunks[chunk_index];
    const Part& part = parts[ch.part];
    Context sub = ctx;
    if (progress) sub.progress = nullptr;  // reported here, per chunk
    // One chunk in all: the caller's seed, so small requests match sample_model exactly.
    const bool single = parts.size() == 1 && part.rows <= chunk_rows;
    if (!single) sub.seed = ctx.seed ^ (0x9E3779B97F4A7C15ULL * (chunk_index + 1));
    Table t = (!request.balance.empty() && single)
                  ? sample_balanced(synth, ch.rows, request.balance, part.conditions, sub)
                  : synth.sample(ch.rows, part.conditions, sub);
    for (Column& c : t.columns) {
      const int si = schema.find(c.name);
      if (si >= 0 && schema.columns[static_cast<size_t>(si)].type == ColumnType::kIdentifier)
        c = synthetic_identifiers(schema.columns[static_cast<size_t>(si)], t.num_rows(), ch.offset + 1);
    }
    out.write(to_csv(t, schema, written == 0));
    written += t.num_rows();
    if (progress) progress->update(written, "rows");
  }
  if (progress) progress->end();
  out.commit();
  return written;
}

namespace {

struct Stats {
  double mean = NAN, sd = NAN, missing = 0;
  std::string top;
  double top_share = 0;
};

Stats column_stats(const Column& c) {
  Stats s;
  const size_t n = c.size();
  if (n == 0) return s;
  s.missing = static_cast<double>(c.count_missing()) / n;
  if (c.storage == Storage::kNumber) {
    double sum = 0, sq = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; ++i)
      if (c.valid[i]) {
        sum += c.values[i];
        sq += c.values[i] * c.values[i];
        ++m;
      }
    if (m) {
      s.mean = sum / m;
      s.sd = std::sqrt(std::max(0.0, sq / m - s.mean * s.mean));
    }
  } else {
    std::vector<size_t> counts(c.dictionary.size(), 0);
    for (int32_t code : c.codes)
      if (code >= 0) ++counts[static_cast<size_t>(code)];
    size_t best = 0;
    for (size_t k = 0; k < counts.size(); ++k)
      if (counts[k] > counts[best]) best = k;
    if (!counts.empty() && counts[best] > 0) {
      s.top = c.dictionary[best];
      s.top_share = static_cast<double>(counts[best]) / n;
    }
  }
  return s;
}

std::string cell(const Stats& s, bool number) {
  char buf[64];
  if (number)
    std::snprintf(buf, sizeof buf, "%.4g±%.3g %2.0f%%", s.mean, s.sd, 100 * s.missing);
  else
    std::snprintf(buf, sizeof buf, "%s:%2.0f%% %2.0f%%", s.top.substr(0, 8).c_str(), 100 * s.top_share, 100 * s.missing);
  return buf;
}

}  // namespace

std::string compare_columns(const Table& real, const Schema& schema,
                            const std::vector<std::pair<std::string, Table>>& synthetic, size_t /*width*/) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-12s %-11s %-22s", "column", "type", "real");
  out += line;
  for (const auto& [name, t] : synthetic) {
    std::snprintf(line, sizeof line, " %-22s", name.c_str());
    out += line;
  }
  out += "\n";
  for (size_t c = 0; c < real.num_cols(); ++c) {
    const Column& rc = real.columns[c];
    const int si = schema.find(rc.name);
    if (si < 0) continue;
    const ColumnSchema& cs = schema.columns[static_cast<size_t>(si)];
    if (cs.type == ColumnType::kText || cs.type == ColumnType::kIdentifier) continue;
    const bool number = rc.storage == Storage::kNumber;
    std::snprintf(line, sizeof line, "%-12s %-11s %-22s", rc.name.substr(0, 12).c_str(), to_string(cs.type),
                  cell(column_stats(rc), number).c_str());
    out += line;
    for (const auto& [name, t] : synthetic) {
      const int k = t.find(rc.name);
      std::snprintf(line, sizeof line, " %-22s", k < 0 ? "-" : cell(column_stats(t.columns[static_cast<size_t>(k)]), number).c_str());
      out += line;
    }
    out += "\n";
  }
  out += "(numbers: mean±sd missing%; labels: most frequent:share missing%)\n";
  return out;
}

double correlation_error(const Table& real, const Table& synthetic, const Schema& schema) {
  // Numeric and boolean/categorical-with-2-levels columns as numbers; Pearson on complete pairs.
  auto as_numbers = [&](const Table& t, const std::string& name, std::vector<double>* v) {
    const int k = t.find(name);
    if (k < 0) return false;
    const Column& c = t.columns[static_cast<size_t>(k)];
    v->assign(c.size(), NAN);
    if (c.storage == Storage::kNumber) {
      for (size_t i = 0; i < c.size(); ++i)
        if (c.valid[i]) (*v)[i] = c.values[i];
      return true;
    }
    for (size_t i = 0; i < c.size(); ++i)
      if (c.codes[i] >= 0) (*v)[i] = c.dictionary[static_cast<size_t>(c.codes[i])] == c.dictionary.back() ? 1.0 : 0.0;
    return true;
  };
  auto pearson = [](const std::vector<double>& x, const std::vector<double>& y) {
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    size_t m = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      if (std::isnan(x[i]) || std::isnan(y[i])) continue;
      sx += x[i], sy += y[i], sxx += x[i] * x[i], syy += y[i] * y[i], sxy += x[i] * y[i], ++m;
    }
    if (m < 3) return 0.0;
    const double vx = sxx - sx * sx / m, vy = syy - sy * sy / m;
    if (vx <= 0 || vy <= 0) return 0.0;
    return (sxy - sx * sy / m) / std::sqrt(vx * vy);
  };
  std::vector<std::string> names;
  for (const ColumnSchema& cs : schema.columns)
    if (cs.type == ColumnType::kNumerical || cs.type == ColumnType::kDatetime ||
        ((cs.type == ColumnType::kBoolean || cs.type == ColumnType::kCategorical) && cs.values.size() == 2))
      names.push_back(cs.name);
  std::vector<std::vector<double>> rv(names.size()), sv(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    as_numbers(real, names[i], &rv[i]);
    as_numbers(synthetic, names[i], &sv[i]);
  }
  double err = 0;
  size_t pairs = 0;
  for (size_t a = 0; a < names.size(); ++a)
    for (size_t b = a + 1; b < names.size(); ++b) {
      err += std::fabs(pearson(rv[a], rv[b]) - pearson(sv[a], sv[b]));
      ++pairs;
    }
  return pairs ? err / pairs : 0.0;
}

std::string run_demo(const DemoOptions& options, const Context& ctx) {
  const std::string data_path = options.data.empty() ? default_data_path() : options.data;
  if (options.rows == 0) throw InvalidInput("demo: --rows must be at least 1");
  Dataset data = load_dataset(data_path, "");
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) throw IoError("cannot create '" + options.out_dir + "': " + ec.message());
  std::string report;
  char line[256];
  std::snprintf(line, sizeof line, "medgen demo: %s (%zu rows, %zu columns)\n", data_path.c_str(), data.table.num_rows(),
                data.table.num_cols());
  report += line;
  for (const auto& w : data.warnings) report += "  note: " + w + "\n";
  std::vector<std::pair<std::string, Table>> synthetic;
  for (const SynthesizerInfo& info : list_synthesizers()) {
    FitRequest fr;
    fr.input = data_path;
    fr.synthesizer = info.name;
    fr.output = options.out_dir + "/" + info.name + ".medgen";
    const FitResult fit = fit_model(fr, ctx);
    SampleRequest sr;
    sr.model = fr.output;
    sr.rows = options.rows;
    Schema schema;
    Table t = sample_model(sr, ctx, &schema);
    sample_to_csv(sr, ctx, options.out_dir + "/" + info.name + ".csv");
    std::snprintf(line, sizeof line, "  %-12s fit %.3f s -> %s/%s.csv (%zu rows); pairwise correlation error %.3f\n",
                  info.name.c_str(), fit.seconds, options.out_dir.c_str(), info.name.c_str(), t.num_rows(),
                  correlation_error(data.table, t, data.schema));
    report += line;
    synthetic.emplace_back(info.name, std::move(t));
  }
  report += "\n" + compare_columns(data.table, data.schema, synthetic);
  return report;
}

}  // namespace medgen::tabular
