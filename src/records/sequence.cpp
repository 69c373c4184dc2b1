#include "medgen/records/sequence.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "../tabular/state_check.h"
#include "medgen/core/error.h"
#include "medgen/core/plugin.h"
#include "medgen/core/rng.h"
#include "medgen/tabular/synthesizer.h"

namespace medgen::records {

using json = nlohmann::json;

SequenceData SequenceData::frame(const Table& context, const Schema& context_schema, const Schema& event_schema,
                                 const std::vector<double>& end, const std::vector<size_t>& counts) {
  SequenceData out;
  out.context = context;
  out.context_schema = context_schema;
  out.event_schema = event_schema;
  out.end = end;
  out.offsets.assign(1, 0);
  for (size_t n : counts) out.offsets.push_back(out.offsets.back() + n);
  out.time.assign(out.offsets.back(), 0.0);
  return out;
}

void SequenceData::check() const {
  if (offsets.empty()) throw InvalidInput("sequence data: offsets is empty (it needs entities + 1 entries)");
  const size_t entities = offsets.size() - 1;
  if (context.num_cols() > 0 && context.num_rows() != entities)
    throw InvalidInput("sequence data: " + std::to_string(context.num_rows()) + " context rows for " +
                       std::to_string(entities) + " entities");
  if (!end.empty() && end.size() != entities)
    throw InvalidInput("sequence data: " + std::to_string(end.size()) + " ends for " + std::to_string(entities) +
                       " entities");
  if (offsets.front() != 0) throw InvalidInput("sequence data: offsets[0] is " + std::to_string(offsets.front()) + ", not 0");
  for (size_t e = 0; e < entities; ++e)
    if (offsets[e + 1] < offsets[e])
      throw InvalidInput("sequence data: offsets decrease at entity " + std::to_string(e));
  if (offsets.back() != time.size())
    throw InvalidInput("sequence data: offsets end at " + std::to_string(offsets.back()) + " but there are " +
                       std::to_string(time.size()) + " event times");
  if (events.num_cols() > 0 && events.num_rows() != time.size())
    throw InvalidInput("sequence data: " + std::to_string(events.num_rows()) + " event rows for " +
                       std::to_string(time.size()) + " event times");
  for (const Table* t : {&context, &events})
    for (const Column& c : t->columns)
      if (c.size() != t->num_rows()) throw InvalidInput("sequence data: column '" + c.name + "' has a different length");
  for (const ColumnSchema& cs : event_schema.columns)
    if (events.find(cs.name) < 0) throw InvalidInput("sequence data: events lack the schema's column '" + cs.name + "'");
  for (const ColumnSchema& cs : context_schema.columns)
    if (context.find(cs.name) < 0) throw InvalidInput("sequence data: context lacks the schema's column '" + cs.name + "'");
  for (size_t e = 0; e < entities; ++e) {
    const double stop = end.empty() ? NAN : end[e];
    if (!end.empty() && std::isinf(stop)) throw InvalidInput("sequence data: entity " + std::to_string(e) + " has an infinite end");
    for (size_t i = offsets[e]; i < offsets[e + 1]; ++i) {
      const std::string where = "sequence data: entity " + std::to_string(e) + ", event " + std::to_string(i - offsets[e]);
      if (!std::isfinite(time[i])) throw InvalidInput(where + ": time is not a finite number");
      if (time[i] < 0) throw InvalidInput(where + ": time " + std::to_string(time[i]) + " is negative");
      if (i > offsets[e] && time[i] < time[i - 1])
        throw InvalidInput(where + ": time " + std::to_string(time[i]) + " is before the previous event's");
      if (!std::isnan(stop) && time[i] > stop)
        throw InvalidInput(where + ": time " + std::to_string(time[i]) + " is after the entity's end " + std::to_string(stop));
    }
  }
}

namespace {

constexpr const char* kIndexColumn = "event index";
constexpr size_t kMaxIndexLevels = 12;  // events from the 12th on share the last level

// The baseline: each event's values from a copula fitted on all event rows with the event's
// index (capped) as a categorical column, so values follow the average trend over visits but
// nothing of the entity's own history or attributes; gaps from the pooled gap distribution.
class IndependentModel : public SequenceModel {
 public:
  explicit IndependentModel(const json& params) {
    if (!params.is_object()) throw InvalidInput("sequence model 'independent': params must be a JSON object");
    for (auto it = params.begin(); it != params.end(); ++it) {
      if (it.key() != "copula") throw InvalidInput("sequence model 'independent': unknown param '" + it.key() + "'");
      copula_params_ = it.value();
    }
    tabular::create_synthesizer("copula", copula_params_);  // validates them now
  }

  std::string name() const override { return "independent"; }
  json params() const override { return json{{"copula", copula_params_}}; }

  void fit(const SequenceData& data, const Context& ctx) override {
    data.check();
    if (data.time.empty()) throw InvalidInput("sequence model 'independent': there are no events to learn from");
    context_schema_ = data.context_schema;
    event_schema_ = data.event_schema;
    size_t longest = 0;
    for (size_t e = 0; e < data.num_entities(); ++e) longest = std::max(longest, data.offsets[e + 1] - data.offsets[e]);
    levels_ = std::min(longest, kMaxIndexLevels);

    Schema schema;
    Table table;
    for (const ColumnSchema& cs : event_schema_.columns) {
      if (!learned(cs)) continue;
      schema.columns.push_back(cs);
      table.columns.push_back(data.events.column(cs.name));
    }
    ColumnSchema idx;
    idx.name = kIndexColumn;
    idx.type = ColumnType::kCategorical;
    for (size_t k = 0; k < levels_; ++k) idx.values.push_back(std::to_string(k));
    Column icol = Column::strings(kIndexColumn, data.time.size(), idx.values);
    first_.clear();
    gaps_.clear();
    for (size_t e = 0; e < data.num_entities(); ++e)
      for (size_t i = data.offsets[e]; i < data.offsets[e + 1]; ++i) {
        icol.codes[i] = static_cast<int32_t>(std::min(i - data.offsets[e], levels_ - 1));
        (i == data.offsets[e] ? first_ : gaps_).push_back(i == data.offsets[e] ? data.time[i] : data.time[i] - data.time[i - 1]);
      }
    schema.columns.push_back(idx);
    table.columns.push_back(std::move(icol));
    std::sort(first_.begin(), first_.end());
    std::sort(gaps_.begin(), gaps_.end());
    if (gaps_.empty()) gaps_.push_back(0);
    copula_ = tabular::create_synthesizer("copula", copula_params_);
    copula_->fit(table, schema, ctx);
  }

  SequenceData sample(const Table& context, const std::vector<size_t>& lengths, const std::vector<double>& end,
                      const Context& ctx) const override {
    if (!copula_) throw InvalidInput("sequence model 'independent': sample before fit");
    const size_t entities = lengths.size();
    if (context.num_cols() > 0 && context.num_rows() != entities)
      throw InvalidInput("sequence sample: " + std::to_string(context.num_rows()) + " context rows for " +
                         std::to_string(entities) + " lengths");
    if (!end.empty() && end.size() != entities)
      throw InvalidInput("sequence sample: " + std::to_string(end.size()) + " ends for " + std::to_string(entities) + " lengths");
    SequenceData out = SequenceData::frame(context, context_schema_, event_schema_, end, lengths);
    const size_t rows = out.time.size();

    // Times: first-event time and gaps drawn from their pooled empirical distributions.
    Rng rng(ctx.seed ^ 0x6A09E667F3BCC908ULL);
    for (size_t e = 0; e < entities; ++e) {
      const double stop = end.empty() || std::isnan(end[e]) ? INFINITY : std::max(0.0, end[e]);
      double t = 0;
      for (size_t i = out.offsets[e]; i < out.offsets[e + 1]; ++i) {
        const std::vector<double>& pool = i == out.offsets[e] && !first_.empty() ? first_ : gaps_;
        t = std::min(stop, t + std::max(0.0, pool[rng.below(pool.size())]));
        out.time[i] = t;
      }
    }

    // Values: one conditional copula draw per index level, dealt out in order.
    std::vector<size_t> need(levels_, 0);
    std::vector<int32_t> level(rows);
    for (size_t e = 0; e < entities; ++e)
      for (size_t i = out.offsets[e]; i < out.offsets[e + 1]; ++i) {
        level[i] = static_cast<int32_t>(std::min(i - out.offsets[e], levels_ - 1));
        ++need[static_cast<size_t>(level[i])];
      }
    std::vector<Table> drawn(levels_);
    for (size_t k = 0; k < levels_; ++k) {
      if (need[k] == 0) continue;
      Context c = ctx;
      c.seed = ctx.seed * 1000003ULL + k + 1;
      drawn[k] = copula_->sample(need[k], {tabular::Condition{kIndexColumn, std::to_string(k)}}, c);
    }
    std::vector<size_t> used(levels_, 0);
    for (const ColumnSchema& cs : event_schema_.columns) {
      Column col = cs.type == ColumnType::kNumerical || cs.type == ColumnType::kDatetime
                       ? Column::numbers(cs.name, rows)
                       : Column::strings(cs.name, rows, cs.values);
      if (cs.type == ColumnType::kIdentifier) col = synthetic_identifiers(cs, rows);
      if (learned(cs)) {
        std::fill(used.begin(), used.end(), 0);
        for (size_t i = 0; i < rows; ++i) {
          const size_t k = static_cast<size_t>(level[i]);
          const Column& src = drawn[k].column(cs.name);
          const size_t r = used[k]++;
          if (col.storage == Storage::kNumber) {
            col.values[i] = src.values[r];
            col.valid[i] = src.valid[r];
          } else {
            col.codes[i] = src.codes[r] < 0 ? -1 : level_of(cs, src.dictionary[static_cast<size_t>(src.codes[r])]);
          }
        }
      }
      out.events.columns.push_back(std::move(col));
    }
    return out;
  }

  void save_state(json* state, std::string* payload) const override {
    if (!copula_) throw InvalidInput("sequence model 'independent': save before fit");
    json cstate;
    copula_->save_state(&cstate, payload);
    *state = json{{"context_schema", context_schema_.to_json()},
                  {"event_schema", event_schema_.to_json()},
                  {"levels", levels_},
                  {"first", first_},
                  {"gaps", gaps_},
                  {"copula_schema", copula_->schema().to_json()},
                  {"copula", cstate}};
  }

  void load_state(const json& state, const std::string& payload) override {
    namespace st = tabular::state;
    const std::string w = "independent state";
    try {
      Schema cs = Schema::from_json(st::member(state, "context_schema", w), w + ": context_schema");
      Schema es = Schema::from_json(st::member(state, "event_schema", w), w + ": event_schema");
      const size_t levels = static_cast<size_t>(st::integer(st::member(state, "levels", w), 1, kMaxIndexLevels, w + ": levels"));
      std::vector<double> first = st::finite_array(st::member(state, "first", w), w + ": first");
      std::vector<double> gaps = st::finite_array(st::member(state, "gaps", w), w + ": gaps");
      if (gaps.empty()) st::fail(w + ": gaps is empty");
      for (double g : gaps)
        if (g < 0) st::fail(w + ": gaps holds a negative gap");
      for (double g : first)
        if (g < 0) st::fail(w + ": first holds a negative time");
      Schema copula_schema = Schema::from_json(st::member(state, "copula_schema", w), w + ": copula_schema");
      const int ii = copula_schema.find(kIndexColumn);
      if (ii < 0 || copula_schema.columns[static_cast<size_t>(ii)].values.size() != levels)
        st::fail(w + ": copula_schema's '" + std::string(kIndexColumn) + "' column does not have " + std::to_string(levels) + " levels");
      for (const ColumnSchema& c : es.columns)
        if (learned(c) && copula_schema.find(c.name) < 0) st::fail(w + ": copula_schema lacks column '" + c.name + "'");
      auto copula = tabular::create_synthesizer("copula", copula_params_);
      copula->restore(copula_schema, st::member(state, "copula", w), payload);
      context_schema_ = std::move(cs);
      event_schema_ = std::move(es);
      levels_ = levels;
      first_ = std::move(first);
      gaps_ = std::move(gaps);
      copula_ = std::move(copula);
    } catch (const InvalidInput& e) {
      throw ModelFormat(w + ": " + e.what());
    }
  }

 private:
  static bool learned(const ColumnSchema& cs) {
    return cs.type != ColumnType::kText && cs.type != ColumnType::kIdentifier;
  }
  static int32_t level_of(const ColumnSchema& cs, const std::string& v) {
    const auto it = std::find(cs.values.begin(), cs.values.end(), v);
    return it == cs.values.end() ? -1 : static_cast<int32_t>(it - cs.values.begin());
  }

  json copula_params_ = json::object();
  Schema context_schema_, event_schema_;
  size_t levels_ = 0;
  std::vector<double> first_, gaps_;  // sorted
  std::unique_ptr<tabular::Synthesizer> copula_;
};

using CreateFn = SequenceModel* (*)(const std::string& name, const json& params);

CreateFn load_create() {
  static CreateFn fn = reinterpret_cast<CreateFn>(
      load_plugin_symbol("libmedgen_records_nn.so", "medgen_records_nn_create", "the gru sequence model"));
  return fn;
}

}  // namespace

std::unique_ptr<SequenceModel> create_sequence_model(const std::string& name, const json& params) {
  if (name == "independent") return std::make_unique<IndependentModel>(params);
  if (name == "gru") return std::unique_ptr<SequenceModel>(load_create()(name, params));
  throw InvalidInput("unknown sequence model '" + name + "' (expected 'gru' or 'independent')");
}

}  // namespace medgen::records
