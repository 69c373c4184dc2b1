// Fit, sample and evaluate jobs: the routes that submit and follow them, and the work each does
// as a child process of the medgen program on plaintext kept in the job's scratch folder (in
// memory where the machine has /dev/shm), which is removed when the job ends.
#include <algorithm>
#include <filesystem>
#include <numeric>
#include <random>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "api_impl.h"
#include "scratch.h"
#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/eval/gate.h"
#include "medgen/tabular/param_table.h"
#include "medgen/tabular/synthesizer.h"

namespace fs = std::filesystem;

namespace medgen::server {

namespace {

const char* const kNeural[] = {"ctgan", "tvae", "diffusion", "autoregressive"};

bool is_neural(const std::string& s) {
  return std::find(std::begin(kNeural), std::end(kNeural), s) != std::end(kNeural);
}




// Rows of a CSV split into (train, holdout) text by a seeded shuffle; the header goes to both.
std::pair<std::string, std::string> split_rows(const std::string& csv, const std::string& name, double holdout,
                                               uint64_t seed) {
  const RawTable raw = parse_csv(csv, name);
  std::vector<size_t> order(raw.num_rows());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  const size_t n_hold = static_cast<size_t>(holdout * raw.num_rows() + 0.5);
  std::vector<bool> in_hold(raw.num_rows(), false);
  for (size_t i = 0; i < n_hold; ++i) in_hold[order[i]] = true;
  std::string header, train, hold;
  for (size_t c = 0; c < raw.num_cols(); ++c) {
    if (c) header += ',';
    append_csv_field(header, raw.names[c]);
  }
  header += '\n';
  train = hold = header;
  for (size_t r = 0; r < raw.num_rows(); ++r) {
    std::string& out = in_hold[r] ? hold : train;
    for (size_t c = 0; c < raw.num_cols(); ++c) {
      if (c) out += ',';
      append_csv_field(out, raw.field(r, c));
    }
    out += '\n';
  }
  return {std::move(train), std::move(hold)};
}

// The rows of `real` that are not in `holdout`, as CSV text: each holdout row takes out one
// equal row (a multiset difference), so a table whose holdout the fit kept out becomes the
// training part again, whatever the order of its rows.
std::string without_rows(const std::string& real, const std::string& holdout, const std::string& name) {
  const RawTable r = parse_csv(real, name);
  const RawTable h = parse_csv(holdout, name + " (holdout)");
  auto key = [](const RawTable& t, size_t row) {
    std::string k;
    for (size_t c = 0; c < t.num_cols(); ++c) {
      k += t.field(row, c);
      k += '\x1f';
    }
    return k;
  };
  std::map<std::string, size_t> left;
  if (h.num_cols() == r.num_cols())
    for (size_t i = 0; i < h.num_rows(); ++i) ++left[key(h, i)];
  std::string out;
  for (size_t c = 0; c < r.num_cols(); ++c) {
    if (c) out += ',';
    append_csv_field(out, r.names[c]);
  }
  out += '\n';
  for (size_t i = 0; i < r.num_rows(); ++i) {
    auto it = left.find(key(r, i));
    if (it != left.end() && it->second > 0) {
      --it->second;
      continue;
    }
    for (size_t c = 0; c < r.num_cols(); ++c) {
      if (c) out += ',';
      append_csv_field(out, r.field(i, c));
    }
    out += '\n';
  }
  return out;
}

}  // namespace

std::function<void(const nlohmann::json&)> job_progress(JobControl& control) {
  return [&control](const nlohmann::json& line) {
    const auto num = [&](const char* k) { return line.contains(k) && line[k].is_number() ? line[k].get<double>() : 0.0; };
    const auto text = [&](const char* k) { return line.contains(k) && line[k].is_string() ? line[k].get<std::string>() : ""; };
    // "training ctgan 12/300 · G 0.713 D -0.120 5120 rows/s": the web app draws loss curves
    // and an ETA from these (the detail is the training loop's, core/progress.h).
    if (num("total") > 0) {
      std::string message = text("task") + " " + std::to_string(static_cast<int64_t>(num("done"))) + "/" +
                            std::to_string(static_cast<int64_t>(num("total")));
      const std::string detail = text("detail");
      if (!detail.empty()) message += " \u00b7 " + detail;
      control.progress(std::min(1.0, num("done") / num("total")), message.substr(0, 300));
    }
  };
}

nlohmann::json Api::Impl::evaluation_result(const Job& job, const Scratch& s) {
  const nlohmann::json report = nlohmann::json::parse(read_file(s("report.json")));
  write_encrypted("evaluations/" + std::to_string(job.id) + ".html.enc", read_file(s("report.html")));
  const nlohmann::json gate = report.value("gate", nlohmann::json::object());
  return {{"summary", report.value("summary", nlohmann::json::object())},
          {"gate_passed", gate.value("passed", false)},
          {"gate", gate}};
}

nlohmann::json Api::Impl::run_job(const Job& job, JobControl& control) {
  if (job.kind.rfind("image.", 0) == 0) return run_image_job(job, control);
  const nlohmann::json p = nlohmann::json::parse(job.params_json);
  if (p.value("records", false)) return run_records_job(job, control);
  Scratch s(work_root, "job-" + std::to_string(job.id), true);
  const uint64_t seed = p.value("seed", uint64_t{1});
  const auto on_progress = job_progress(control);
  // Rows by id: a row removed since the job was queued (a restart's cleanup) fails the job.
  auto dataset = [&](int64_t id) {
    std::optional<Dataset> d = store->dataset(id);
    if (!d || d->file.empty()) throw InvalidInput("dataset " + std::to_string(id) + " no longer exists");
    return *d;
  };
  std::vector<std::string> argv{exe};
  std::map<std::string, std::string> names;

  if (job.kind == "fit") {
    const Dataset d = dataset(p.at("dataset").get<int64_t>());
    const std::string synth = p.at("synthesizer").get<std::string>();
    const double holdout = p.value("holdout", 0.2);
    std::string train = read_encrypted(d.file), hold;
    if (holdout > 0) std::tie(train, hold) = split_rows(train, d.name, holdout, seed);
    write_file_atomic(s("train.csv"), train);
    write_file_atomic(s("schema.json"), d.schema_json);
    names = {{"train.csv", d.name}, {"schema.json", d.name + " (schema)"}};
    argv.insert(argv.end(), {"fit", "train.csv", "-o", "model.medgen", "-s", synth, "--schema", "schema.json",
                             "--seed", std::to_string(seed), "--quiet"});
    if (p.contains("params")) argv.insert(argv.end(), {"--params", p["params"].dump()});
    const std::string ckpt_enc = "checkpoints/job-" + std::to_string(job.id) + ".ckpt.enc";
    bool resumed = false;
    if (is_neural(synth)) {
      // A checkpoint from an earlier attempt: the encrypted one, or the plaintext a child wrote
      // when a server died under it (the scratch folder outlives the server in memory).
      if (!fs::exists(s("model.ckpt")) && fs::exists(path(ckpt_enc)))
        write_file_atomic(s("model.ckpt"), read_encrypted(ckpt_enc));
      argv.insert(argv.end(), {"--checkpoint", "model.ckpt", "--checkpoint-every", "5"});
      resumed = fs::exists(s("model.ckpt"));
      if (resumed) argv.push_back("--resume");
    }
    const ChildResult r = run_child(argv, {}, control, on_progress, uint64_t{2} << 30, s.lock_fd(), s.dir());
    if (control.shutdown && fs::exists(s("model.ckpt"))) {
      write_encrypted(ckpt_enc, read_file(s("model.ckpt")));
      store->set_job_checkpoint(job.id, ckpt_enc);
    }
    if (control.shutdown && r.exit_code != 0) throw JobPostponed{};
    if (control.cancel) {
      std::error_code ec;
      fs::remove(path(ckpt_enc), ec);
      return nlohmann::json::object();
    }
    if (r.exit_code != 0) throw InvalidInput(child_error(r, s, names));
    Model m;
    m.project_id = job.project_id;
    m.dataset_id = d.id;
    m.synthesizer = synth;
    m.job_id = job.id;
    m.created_by = job.created_by;
    // The file first, named by the job: a crash between the two leaves a stray file, never a
    // model row without its file.
    m.file = "models/job-" + std::to_string(job.id) + ".medgen.enc";
    m.encrypted = true;
    write_encrypted(m.file, read_file(s("model.medgen")));
    m.id = store->create_model(m);
    nlohmann::json result{{"model", m.id}, {"holdout", nullptr}, {"resumed", resumed}};
    if (!hold.empty() && holdout > 0) {
      Dataset h;
      h.project_id = job.project_id;
      h.name = d.name + " (holdout of job " + std::to_string(job.id) + ")";
      h.kind = "real";
      h.rows = static_cast<int64_t>(parse_csv(hold, h.name).num_rows());
      h.columns = d.columns;
      h.schema_json = d.schema_json;
      h.created_by = job.created_by;
      result["holdout"] = add_dataset(h, hold);
    }
    std::error_code ec;
    fs::remove(path(ckpt_enc), ec);
    return result;
  }

  if (job.kind == "sample") {
    const std::optional<Model> mo = store->model(p.at("model").get<int64_t>());
    if (!mo) throw InvalidInput("model " + std::to_string(p.at("model").get<int64_t>()) + " no longer exists");
    const Model& m = *mo;
    write_file_atomic(s("model.medgen"), read_encrypted(m.file));
    names = {{"model.medgen", "model " + std::to_string(m.id)}};
    argv.insert(argv.end(), {"sample", "model.medgen", "-n", std::to_string(p.at("rows").get<int64_t>()), "-o",
                             "out.csv", "--seed", std::to_string(seed), "--quiet"});
    for (const auto& c : p.value("conditions", nlohmann::json::array())) argv.insert(argv.end(), {"-c", c.get<std::string>()});
    if (p.contains("balance")) argv.insert(argv.end(), {"--balance", p["balance"].get<std::string>()});
    const ChildResult r = run_child(argv, {}, control, on_progress, uint64_t{2} << 30, s.lock_fd(), s.dir());
    if (control.shutdown && r.exit_code != 0) throw JobPostponed{};
    if (control.cancel) return nlohmann::json::object();
    if (r.exit_code != 0) throw InvalidInput(child_error(r, s, names));
    const std::string csv = read_file(s("out.csv"));
    const RawTable raw = parse_csv(csv, "synthetic rows");
    Dataset d;
    d.project_id = job.project_id;
    d.name = p.value("name", "sample of model " + std::to_string(m.id) + " (job " + std::to_string(job.id) + ")");
    d.kind = "synthetic";
    d.rows = static_cast<int64_t>(raw.num_rows());
    d.columns = static_cast<int64_t>(raw.num_cols());
    d.schema_json = infer_schema(raw).to_json().dump();
    d.source_model_id = m.id;
    d.created_by = job.created_by;
    d.id = add_dataset(d, csv);
    return {{"dataset", d.id}, {"rows", d.rows}};
  }

  if (job.kind == "evaluate") {
    const Dataset real = dataset(p.at("real").get<int64_t>());
    const Dataset syn = dataset(p.at("synthetic").get<int64_t>());
    // The real rows are the model's training rows: its dataset without the holdout the fit kept
    // out (otherwise the holdout's rows would be their own closest training rows, and the
    // privacy ceilings would measure nothing).
    std::string real_csv = read_encrypted(real.file);
    if (p.contains("holdout"))
      real_csv = without_rows(real_csv, read_encrypted(dataset(p["holdout"].get<int64_t>()).file), real.name);
    write_file_atomic(s("real.csv"), real_csv);
    write_file_atomic(s("synthetic.csv"), read_encrypted(syn.file));
    write_file_atomic(s("schema.json"), real.schema_json);
    write_file_atomic(s("gate.json"), p.value("gate", cfg.gate).dump());
    names = {{"real.csv", real.name}, {"synthetic.csv", syn.name}, {"gate.json", "gate"}, {"schema.json", "schema"}};
    argv.insert(argv.end(), {"evaluate", "--real", "real.csv", "--synthetic", "synthetic.csv", "--schema",
                             "schema.json", "--gate", "gate.json", "--report", "report.html", "--json-out",
                             "report.json", "--seed", std::to_string(seed), "--quiet"});
    if (p.contains("holdout")) {
      const Dataset h = dataset(p["holdout"].get<int64_t>());
      write_file_atomic(s("holdout.csv"), read_encrypted(h.file));
      names["holdout.csv"] = h.name;
      argv.insert(argv.end(), {"--holdout", "holdout.csv"});
    }
    if (p.contains("target")) argv.insert(argv.end(), {"--target", p["target"].get<std::string>()});
    const ChildResult r = run_child(argv, {}, control, on_progress, uint64_t{2} << 30, s.lock_fd(), s.dir());
    if (control.shutdown && r.exit_code != 0 && r.exit_code != 3) throw JobPostponed{};
    if (control.cancel) return nlohmann::json::object();
    if (r.exit_code != 0 && r.exit_code != 3) throw InvalidInput(child_error(r, s, names));
    return evaluation_result(job, s);
  }
  throw Error("unknown job kind '" + job.kind + "'");
}

// ---------------------------------------------------------------------------- routes

namespace {

// Streams a job's progress events over a WebSocket until the job ends.
class JobEvents : public WsHandler {
 public:
  JobEvents(JobRunner& runner, Store& store, int64_t job, bool full)
      : runner_(runner), store_(store), job_(job), full_(full) {}
  ~JobEvents() override { closed(); }
  // Subscribes before reading the state, so that an end in between is not missed (it may then
  // arrive twice; the client stops at the first end state). Messages of failed jobs are shown
  // to stewards only, as by GET .../jobs/{job}.
  void opened(WsPeer& peer) override {
    WsPeer* p = &peer;
    const bool full = full_;
    sub_ = runner_.subscribe(job_, [p, full](nlohmann::json e) {
      const std::string st = e.value("state", "");
      if (!full && st == "failed") e["message"] = "the job failed; a steward of the project can read why";
      p->send(e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      if (st != "queued" && st != "running") p->close();
    });
    const std::optional<Job> j = store_.job(job_);
    if (!j) return peer.close();
    nlohmann::json now = to_json(*j, full_);
    peer.send(nlohmann::json{{"job", job_}, {"state", now["state"]}, {"progress", now["progress"]}, {"message", now["message"]}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (j->state != "queued" && j->state != "running") peer.close();
  }
  void message(WsPeer&, const std::string&) override {}
  void closed() override {
    if (sub_) runner_.unsubscribe(sub_);
    sub_ = 0;
  }

 private:
  JobRunner& runner_;
  Store& store_;
  int64_t job_;
  bool full_;
  int sub_ = 0;
};

}  // namespace

Reply Api::Impl::submit_job(Ctx& ctx, const std::string& kind, const nlohmann::json& params, const std::string& object) {
  Job j;
  j.project_id = ctx.project;
  j.kind = kind;
  j.params_json = params.dump();
  j.created_by = ctx.caller->user.id;
  j.id = store->create_job(j);
  if (!jobs->submit(j.id)) {
    store->set_job_state(j.id, "failed", "the job queue was full");
    audit(ctx, "job." + kind, object, "failed", {{"job", j.id}, {"reason", "queue full"}});
    throw ApiError{429, "busy", "the job queue is full; retry later"};
  }
  audit(ctx, "job." + kind, object, "ok", {{"job", j.id}});
  return ok(to_json(*store->job(j.id), is_steward(ctx)), 202);
}

void Api::Impl::add_job_routes() {
  auto submit = [this](Ctx& ctx, const std::string& kind, const nlohmann::json& params, const std::string& object) {
    return submit_job(ctx, kind, params, object);
  };

  add("POST", "/api/v1/projects/{project}/jobs/fit", "jobs",
      "fit a synthesizer on a real dataset: {dataset, synthesizer, params?, seed?, holdout? (share kept out, 0.2)"
      "; for a dataset of several tables also sequence_model?, sequence_params?}",
      "steward, analyst", "json", [this, submit](Ctx& ctx) {
        require(ctx, Perm::kWork, "job.fit");
        const nlohmann::json b = json_body(ctx.req);
        const Dataset d = dataset_in(ctx, int_field(b, "dataset", 0, 1, INT64_MAX, true), "job.fit");
        if (d.kind != "real") throw ApiError{400, "bad_request", "dataset: fit learns from a real dataset"};
        // Records: the patients' synthesizer, cart unless asked (as `medgen fit` on a folder).
        const bool records = is_records(d);
        const std::string def = records ? "cart" : "copula";
        const std::string synth = b.value("synthesizer", nlohmann::json(def)).is_string()
                                      ? b.value("synthesizer", def)
                                      : "";
        const auto all = tabular::list_synthesizers();
        if (std::none_of(all.begin(), all.end(), [&](const tabular::SynthesizerInfo& i) { return i.name == synth; }))
          throw ApiError{400, "bad_request", "synthesizer: unknown; GET /openapi.json lists the API, medgen params the options"};
        nlohmann::json params{{"dataset", d.id}, {"synthesizer", synth},
                              {"seed", int_field(b, "seed", 1, 0, INT64_MAX)}};
        if (b.contains("params")) {
          if (!b["params"].is_object()) throw ApiError{400, "bad_request", "params: a JSON object"};
          tabular::create_synthesizer(synth, b["params"]);  // InvalidInput for unknown or bad options
          params["params"] = b["params"];
        }
        if (b.contains("holdout")) {
          if (!b["holdout"].is_number() || b["holdout"].get<double>() < 0 || b["holdout"].get<double>() > 0.5)
            throw ApiError{400, "bad_request", "holdout: a share from 0 to 0.5"};
          params["holdout"] = b["holdout"];
        }
        if (records) {
          params["records"] = true;
          // The sequence model and its options are checked by the job's child before any work.
          if (b.contains("sequence_model")) params["sequence_model"] = display_name(b["sequence_model"], "sequence_model");
          if (b.contains("sequence_params")) {
            if (!b["sequence_params"].is_object()) throw ApiError{400, "bad_request", "sequence_params: a JSON object"};
            params["sequence_params"] = b["sequence_params"];
          }
        } else if (b.contains("sequence_model") || b.contains("sequence_params")) {
          throw ApiError{400, "bad_request", "sequence_model: only for datasets of several tables"};
        }
        return submit(ctx, "fit", params, "dataset:" + std::to_string(d.id));
      });

  add("POST", "/api/v1/projects/{project}/jobs/sample", "jobs",
      "sample synthetic rows from a model: {model, rows, conditions?: [\"col=value\"], balance?, seed?, name?}",
      "steward, analyst", "json", [this, submit](Ctx& ctx) {
        require(ctx, Perm::kWork, "job.sample");
        const nlohmann::json b = json_body(ctx.req);
        const Model m = model_in(ctx, int_field(b, "model", 0, 1, INT64_MAX, true), "job.sample");
        nlohmann::json params{{"model", m.id}, {"rows", int_field(b, "rows", 0, 1, 10'000'000, true)},
                              {"seed", int_field(b, "seed", 1, 0, INT64_MAX)}};
        if (b.contains("conditions")) {
          if (!b["conditions"].is_array() || b["conditions"].size() > 64)
            throw ApiError{400, "bad_request", "conditions: a list of \"column=value\" strings"};
          for (const auto& c : b["conditions"]) {
            if (!c.is_string()) throw ApiError{400, "bad_request", "conditions: a list of \"column=value\" strings"};
            tabular::parse_condition(c.get<std::string>());
          }
          params["conditions"] = b["conditions"];
        }
        if (b.contains("balance")) params["balance"] = display_name(b["balance"], "balance");
        if (b.contains("name")) params["name"] = display_name(b["name"], "name");
        // A records model samples patients with their whole records (rows = patients).
        const std::optional<Dataset> source = store->dataset(m.dataset_id);
        if (source && is_records(*source)) {
          if (params.contains("conditions") || params.contains("balance"))
            throw ApiError{400, "bad_request", "conditions and balance: not available for datasets of several tables"};
          params["records"] = true;
        }
        return submit(ctx, "sample", params, "model:" + std::to_string(m.id));
      });

  add("POST", "/api/v1/projects/{project}/jobs/evaluate", "jobs",
      "evaluate a synthetic dataset against real data and apply the release gate: {synthetic, real?, holdout?, "
      "target?, seed?}: the real table and the holdout are the model's own; the gate is the server's",
      "steward, analyst", "json", [this, submit](Ctx& ctx) {
        require(ctx, Perm::kWork, "job.evaluate");
        const nlohmann::json b = json_body(ctx.req);
        if (b.contains("gate"))
          throw ApiError{400, "bad_request", "gate: the release gate is the server's (medgen serve --gate), not the request's"};
        const Dataset syn = dataset_in(ctx, int_field(b, "synthetic", 0, 1, INT64_MAX, true), "job.evaluate");
        if (syn.kind != "synthetic") throw ApiError{400, "bad_request", "synthetic: a synthetic dataset"};
        // The comparison is fixed by where the rows came from: the real table the model learned
        // from and the holdout its fit kept out, so that no choice of data makes the privacy
        // checks pass.
        const std::optional<Model> m = syn.source_model_id ? store->model(syn.source_model_id) : std::nullopt;
        if (!m) throw ApiError{400, "bad_request", "synthetic: made by a sample job of this server"};
        const Dataset real = dataset_in(ctx, int_field(b, "real", m->dataset_id, 1, INT64_MAX), "job.evaluate");
        if (real.id != m->dataset_id)
          throw ApiError{400, "bad_request", "real: the dataset the model learned from (" + std::to_string(m->dataset_id) + ")"};
        nlohmann::json params{{"real", real.id}, {"synthetic", syn.id}, {"seed", int_field(b, "seed", 1, 0, INT64_MAX)},
                              {"gate", cfg.gate}};
        const std::optional<Job> fit = m->job_id ? store->job(m->job_id) : std::nullopt;
        const nlohmann::json fit_result = fit ? nlohmann::json::parse(fit->result_json, nullptr, false) : nlohmann::json();
        const int64_t kept = fit_result.is_object() && fit_result["holdout"].is_number_integer() ? fit_result["holdout"].get<int64_t>() : 0;
        if (b.contains("holdout") && int_field(b, "holdout", 0, 1, INT64_MAX) != kept)
          throw ApiError{400, "bad_request", kept ? "holdout: the rows the fit kept out (" + std::to_string(kept) + ")"
                                                  : "holdout: the fit kept no rows out"};
        if (kept) params["holdout"] = dataset_in(ctx, kept, "job.evaluate").id;
        if (is_records(real)) {
          params["records"] = true;
          // The training part the fit stored beside the holdout.
          const int64_t train = fit_result.is_object() && fit_result["training"].is_number_integer()
                                    ? fit_result["training"].get<int64_t>()
                                    : 0;
          if (train) params["training"] = dataset_in(ctx, train, "job.evaluate").id;
        }
        if (b.contains("target")) params["target"] = display_name(b["target"], "target");
        return submit(ctx, "evaluate", params, "dataset:" + std::to_string(real.id));
      });

  // The CLI's own parameter tables (tabular/param_table.h): the web app builds its fit forms
  // from them, so the browser offers exactly what `medgen fit --params` accepts.
  add("GET", "/api/v1/synthesizers", "jobs", "the synthesizers and their options (fit's params)", "any user", "",
      [](Ctx&) {
        static const char* const kKinds[] = {"int", "double", "string", "bool", "int_list"};
        nlohmann::json out = nlohmann::json::array();
        for (const tabular::SynthesizerInfo& info : tabular::list_synthesizers()) {
          nlohmann::json params = nlohmann::json::array();
          for (const tabular::ParamSpec& p : tabular::param_table(info.name)) {
            nlohmann::json j{{"name", p.name},
                             {"kind", kKinds[static_cast<int>(p.kind)]},
                             {"default", p.default_value},
                             {"allowed", tabular::param_range_text(p)},
                             {"help", p.help}};
            if (p.kind == tabular::ParamKind::kString) {
              j["choices"] = p.choices;
            } else if (p.kind != tabular::ParamKind::kBool) {
              j["min"] = p.min;
              j["max"] = p.max;
            }
            params.push_back(std::move(j));
          }
          out.push_back({{"name", info.name},
                         {"description", info.description},
                         {"neural", is_neural(info.name)},
                         {"params", std::move(params)}});
        }
        return ok(out);
      });

  add("GET", "/api/v1/projects/{project}/jobs", "jobs", "the project's jobs", "steward, analyst", "", [this](Ctx& ctx) {
    require(ctx, Perm::kView, "job.list");
    nlohmann::json out = nlohmann::json::array();
    for (const Job& j : store->jobs(ctx.project)) out.push_back(to_json(j, is_steward(ctx)));
    return ok(out);
  });

  add("GET", "/api/v1/projects/{project}/jobs/{job}", "jobs", "one job: state, progress, result", "steward, analyst", "",
      [this](Ctx& ctx) {
        require(ctx, Perm::kView, "job.read");
        return ok(to_json(job_in(ctx, id_param(ctx.req, "job"), "job.read"), is_steward(ctx)));
      });

  add("POST", "/api/v1/projects/{project}/jobs/{job}/cancel", "jobs", "cancel a queued or running job",
      "steward, analyst", "", [this](Ctx& ctx) {
        require(ctx, Perm::kWork, "job.cancel");
        const Job j = job_in(ctx, id_param(ctx.req, "job"), "job.cancel");
        if (!jobs->cancel(j.id)) throw ApiError{409, "conflict", "the job has already ended (" + j.state + ")"};
        audit(ctx, "job.cancel", "job:" + std::to_string(j.id), "ok");
        return ok({{"job", j.id}, {"cancelling", true}}, 202);
      });

  add("GET", "/api/v1/projects/{project}/jobs/{job}/events", "jobs",
      "progress events of a job, live (WebSocket; the token may be given as ?token=)", "steward, analyst", "",
      [this](Ctx& ctx) {
        require(ctx, Perm::kView, "job.events");
        const Job j = job_in(ctx, id_param(ctx.req, "job"), "job.events");
        return Reply{HttpResponse{}, std::make_shared<JobEvents>(*jobs, *store, j.id, is_steward(ctx))};
      },
      true, true);

  add("GET", "/api/v1/projects/{project}/jobs/{job}/report", "jobs", "an evaluate job's HTML report",
      "steward, analyst", "", [this](Ctx& ctx) {
        require(ctx, Perm::kView, "job.report");
        const Job j = job_in(ctx, id_param(ctx.req, "job"), "job.report");
        if (j.kind != "evaluate" || j.state != "succeeded")
          throw ApiError{409, "conflict", "only a finished evaluate job has a report"};
        Reply r = ok(nlohmann::json::object());
        r.response.content_type = "text/html; charset=utf-8";
        // The report's own inline styles and SVG charts; still no scripts, frames or fetches.
        r.response.headers.push_back(
            {"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"});
        r.response.body = read_encrypted("evaluations/" + std::to_string(j.id) + ".html.enc");
        audit(ctx, "job.report", "job:" + std::to_string(j.id), "ok");
        return r;
      });

  add("GET", "/api/v1/projects/{project}/models", "models", "the project's models", "steward, analyst", "",
      [this](Ctx& ctx) {
        require(ctx, Perm::kView, "model.list");
        nlohmann::json out = nlohmann::json::array();
        for (const Model& m : store->models(ctx.project)) out.push_back(to_json(m));
        return ok(out);
      });

  add("GET", "/api/v1/projects/{project}/models/{model}", "models", "one model", "steward, analyst", "", [this](Ctx& ctx) {
    require(ctx, Perm::kView, "model.read");
    return ok(to_json(model_in(ctx, id_param(ctx.req, "model"), "model.read")));
  });
}

}  // namespace medgen::server
