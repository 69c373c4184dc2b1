// Datasets of several tables (patients with their visits, lab series, encounters...): uploaded as
// an archive of the folder or as FHIR R4, stored encrypted as a tar of the folder, and learned,
// sampled and evaluated by the medgen program's records commands in the jobs' children, as
// tables are (api_jobs.cpp). The server itself never parses the tables: children do, in the
// request's or job's private scratch folder, on relative names.
#include <filesystem>
#include <optional>

#include "api_impl.h"
#include "archive.h"
#include "scratch.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"

namespace fs = std::filesystem;

namespace medgen::server {

namespace {

// Stored archives are the server's own, as large as the datasets it keeps.
const ArchiveLimits kStoredLimits{4096, uint64_t{1} << 40};

// The folder's tables with `schema_json` as its dataset.json.
std::string pack(const std::string& folder, const std::string& schema_json) {
  std::vector<std::pair<std::string, std::string>> files;
  for (auto& f : read_folder(folder))
    if (f.first != "dataset.json" && f.first.size() > 4 && f.first.compare(f.first.size() - 4, 4, ".csv") == 0)
      files.push_back(std::move(f));
  files.emplace_back("dataset.json", nlohmann::json::parse(schema_json).dump(2) + "\n");
  return write_tar(files);
}

size_t table_count(const std::string& schema_json) {
  const nlohmann::json j = nlohmann::json::parse(schema_json, nullptr, false);
  return j.is_object() && j.contains("tables") && j["tables"].is_array() ? j["tables"].size() : 0;
}

std::string number_text(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

}  // namespace

bool is_records(const Dataset& d) {
  const nlohmann::json j = nlohmann::json::parse(d.schema_json, nullptr, false);
  return j.is_object() && j.contains("tables") && j["tables"].is_array();
}

namespace {

// The stored files with the schema as it stands now (a steward may have edited it since).
std::vector<std::pair<std::string, std::string>> current_files(const std::string& tar, const Dataset& d) {
  std::vector<std::pair<std::string, std::string>> files;
  for (auto& f : read_upload_archive(tar, d.name, kStoredLimits))
    if (f.first != "dataset.json") files.push_back(std::move(f));
  files.emplace_back("dataset.json", nlohmann::json::parse(d.schema_json).dump(2) + "\n");
  return files;
}

}  // namespace

void Api::Impl::unpack_records(const Dataset& d, const std::string& folder) const {
  std::error_code ec;
  fs::remove_all(folder, ec);
  write_folder(folder, current_files(read_encrypted(d.file), d));
}

std::string Api::Impl::records_archive(const Dataset& d) const {
  return write_tar(current_files(read_encrypted(d.file), d));
}

Reply Api::Impl::upload_records(Ctx& ctx, const std::string& name, const std::string& format) {
  if (ctx.req.body.empty()) throw ApiError{400, "bad_request", name + ": the body is empty"};
  Scratch s(work_root, "req-" + random_hex(8), false);
  std::map<std::string, std::string> names{{"upload-dir", name}};
  auto child = [&](std::vector<std::string> args) {
    args.insert(args.begin(), exe);
    bool timed_out = false;
    const ChildResult r = run_request_child(args, s, kRequestChildLimit, &timed_out);
    if (timed_out) throw ApiError{400, "invalid_input", name + ": the dataset could not be read in time"};
    if (r.exit_code != 0) throw ApiError{400, "invalid_input", child_error(r, s, names)};
    const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    if (!j.is_object()) throw Error("`medgen " + args[1] + " --json` printed no JSON object");
    return j;
  };
  nlohmann::json notes = nlohmann::json::array();
  auto add_notes = [&](const nlohmann::json& j) {
    if (j.contains("notes") && j["notes"].is_array())
      for (const auto& n : j["notes"]) notes.push_back(n);
  };
  if (format == "records") {
    write_folder(s("upload-dir"), read_upload_archive(ctx.req.body, name));
  } else {
    // FHIR R4: one Bundle, or bulk NDJSON (a resource per line).
    const nlohmann::json one = nlohmann::json::parse(ctx.req.body, nullptr, false);
    const bool bundle = one.is_object() && one.value("resourceType", nlohmann::json()) == "Bundle";
    const std::string file = bundle ? "upload.json" : "upload.ndjson";
    write_file_atomic(s(file), ctx.req.body);
    names[file] = name;
    add_notes(child({"fhir", "import", file, "-o", "upload-dir", "--json", "--quiet"}));
  }
  names["upload-dir/dataset.json"] = name + " (dataset.json)";
  // Nothing silent: the inferred keys, relations and times come back as notes.
  if (!fs::exists(s("upload-dir/dataset.json"))) add_notes(child({"schema", "upload-dir", "-o", "upload-dir/dataset.json", "--json"}));
  // Every table read under the schema with every check a fit makes (keys resolve, times in
  // order, types): split reads the whole dataset, and says how many entities it has.
  const nlohmann::json split = child({"split", "upload-dir", "--schema", "upload-dir/dataset.json", "--fraction", "0.5", "--seed", "1",
                                      "--train", "check-a-dir", "--holdout", "check-b-dir", "--json", "--quiet"});
  const std::string schema_json = nlohmann::json::parse(read_file(s("upload-dir/dataset.json"))).dump();
  Dataset d;
  d.project_id = ctx.project;
  d.name = name;
  d.kind = "real";
  d.rows = split.value("train_entities", int64_t{0}) + split.value("holdout_entities", int64_t{0});
  d.columns = static_cast<int64_t>(table_count(schema_json));
  d.schema_json = schema_json;
  d.created_by = ctx.caller->user.id;
  d.id = add_dataset(d, pack(s("upload-dir"), schema_json), ".tar");
  audit(ctx, "dataset.upload", "dataset:" + std::to_string(d.id), "ok",
        {{"name", name}, {"format", format}, {"entities", d.rows}, {"tables", d.columns}, {"bytes", ctx.req.body.size()}});
  nlohmann::json out = to_json(*store->dataset(d.id), true);
  out["notes"] = notes;
  out["warnings"] = nlohmann::json::array();
  return ok(out, 201);
}

Reply Api::Impl::edit_records_schema(Ctx& ctx, const Dataset& d) {
  const nlohmann::json body = json_body(ctx.req);
  Scratch s(work_root, "req-" + random_hex(8), false);
  unpack_records(d, s("upload-dir"));
  write_file_atomic(s("upload-dir/dataset.json"), body.dump(2) + "\n");
  bool timed_out = false;
  const ChildResult r = run_request_child({exe, "split", "upload-dir", "--schema", "upload-dir/dataset.json", "--fraction", "0.5", "--seed",
                                           "1", "--train", "check-a-dir", "--holdout", "check-b-dir", "--quiet"},
                                          s, kRequestChildLimit, &timed_out);
  if (timed_out) throw ApiError{400, "invalid_input", d.name + ": the dataset could not be read in time"};
  if (r.exit_code != 0)
    throw ApiError{400, "invalid_input", child_error(r, s, {{"upload-dir", d.name}, {"upload-dir/dataset.json", "schema"}})};
  if (table_count(body.dump()) == 0) throw ApiError{400, "bad_request", "schema: a dataset schema with tables"};
  store->set_dataset_schema(d.id, body.dump());
  audit(ctx, "dataset.schema", "dataset:" + std::to_string(d.id), "ok", {{"tables", table_count(body.dump())}});
  return ok(to_json(*store->dataset(d.id), true));
}

nlohmann::json Api::Impl::run_records_job(const Job& job, JobControl& control) {
  const nlohmann::json p = nlohmann::json::parse(job.params_json);
  Scratch s(work_root, "job-" + std::to_string(job.id), true);
  const std::string seed = std::to_string(p.value("seed", uint64_t{1}));
  const auto on_progress = job_progress(control);
  std::map<std::string, std::string> names;
  auto dataset = [&](int64_t id) {
    std::optional<Dataset> d = store->dataset(id);
    if (!d || d->file.empty()) throw InvalidInput("dataset " + std::to_string(id) + " no longer exists");
    return *d;
  };
  // One child; nullopt when the job was cancelled. Exit 3 (the gate failed) is a result.
  auto step = [&](std::vector<std::string> args) -> std::optional<nlohmann::json> {
    args.insert(args.begin(), exe);
    const ChildResult r = run_child(args, {}, control, on_progress, uint64_t{2} << 30, s.lock_fd(), s.dir());
    const bool done = r.exit_code == 0 || (args[1] == "evaluate" && r.exit_code == 3);
    if (control.shutdown && !done) throw JobPostponed{};
    if (control.cancel) return std::nullopt;
    if (!done) throw InvalidInput(child_error(r, s, names));
    return nlohmann::json::parse(r.out, nullptr, false);
  };
  auto store_part = [&](const std::string& folder, const std::string& name, const std::string& kind, int64_t entities,
                        const std::string& schema_json, int64_t source_model) {
    Dataset d;
    d.project_id = job.project_id;
    d.name = name;
    d.kind = kind;
    d.rows = entities;
    d.columns = static_cast<int64_t>(table_count(schema_json));
    d.schema_json = schema_json;
    d.source_model_id = source_model;
    d.created_by = job.created_by;
    return add_dataset(d, pack(s(folder), schema_json), ".tar");
  };

  if (job.kind == "fit") {
    const Dataset d = dataset(p.at("dataset").get<int64_t>());
    const std::string synth = p.at("synthesizer").get<std::string>();
    const std::string seq = p.value("sequence_model", std::string("gru"));
    const double holdout = p.value("holdout", 0.2);
    unpack_records(d, s("data-dir"));
    names = {{"data-dir", d.name}, {"train-dir", d.name}, {"hold-dir", d.name + " (holdout)"}, {"data-dir/dataset.json", d.name + " (schema)"}};
    std::string train = "data-dir";
    int64_t n_train = d.rows, n_hold = 0;
    if (holdout > 0) {
      for (const char* f : {"train-dir", "hold-dir"}) fs::remove_all(s(f));
      const auto r = step({"split", "data-dir", "--schema", "data-dir/dataset.json", "--fraction", number_text(holdout), "--seed",
                           seed, "--train", "train-dir", "--holdout", "hold-dir", "--json", "--quiet"});
      if (!r) return nlohmann::json::object();
      n_train = r->value("train_entities", int64_t{0});
      n_hold = r->value("holdout_entities", int64_t{0});
      train = "train-dir";
    }
    std::vector<std::string> args{"fit", train, "--schema", "data-dir/dataset.json", "-o", "model.medgen", "-s", synth,
                                  "--sequence-model", seq, "--seed", seed, "--quiet"};
    if (p.contains("params")) args.insert(args.end(), {"--params", p["params"].dump()});
    if (p.contains("sequence_params")) args.insert(args.end(), {"--sequence-params", p["sequence_params"].dump()});
    if (!step(args)) return nlohmann::json::object();
    Model m;
    m.project_id = job.project_id;
    m.dataset_id = d.id;
    m.synthesizer = synth + "+" + seq;
    m.job_id = job.id;
    m.created_by = job.created_by;
    m.file = "models/job-" + std::to_string(job.id) + ".medgen.enc";
    m.encrypted = true;
    write_encrypted(m.file, read_file(s("model.medgen")));
    m.id = store->create_model(m);
    nlohmann::json result{{"model", m.id}, {"holdout", nullptr}, {"training", nullptr}, {"resumed", false}};
    if (holdout > 0) {
      const std::string tag = " of job " + std::to_string(job.id) + ")";
      result["training"] = store_part("train-dir", d.name + " (training part" + tag, "real", n_train, d.schema_json, 0);
      result["holdout"] = store_part("hold-dir", d.name + " (holdout" + tag, "real", n_hold, d.schema_json, 0);
    }
    return result;
  }

  if (job.kind == "sample") {
    const std::optional<Model> mo = store->model(p.at("model").get<int64_t>());
    if (!mo) throw InvalidInput("model " + std::to_string(p.at("model").get<int64_t>()) + " no longer exists");
    const Dataset source = dataset(mo->dataset_id);
    write_file_atomic(s("model.medgen"), read_encrypted(mo->file));
    names = {{"model.medgen", "model " + std::to_string(mo->id)}};
    fs::remove_all(s("out-dir"));
    const int64_t n = p.at("rows").get<int64_t>();
    if (!step({"sample", "model.medgen", "-n", std::to_string(n), "-o", "out-dir", "--seed", seed, "--quiet"}))
      return nlohmann::json::object();
    const std::string name =
        p.value("name", "sample of model " + std::to_string(mo->id) + " (job " + std::to_string(job.id) + ")");
    const int64_t id = store_part("out-dir", name, "synthetic", n, source.schema_json, mo->id);
    return {{"dataset", id}, {"rows", n}};
  }

  if (job.kind == "evaluate") {
    // The training part the fit stored (the whole dataset when it kept nothing out).
    const Dataset real = dataset(p.contains("training") ? p["training"].get<int64_t>() : p.at("real").get<int64_t>());
    const Dataset syn = dataset(p.at("synthetic").get<int64_t>());
    unpack_records(real, s("real-dir"));
    unpack_records(syn, s("synthetic-dir"));
    write_file_atomic(s("gate.json"), p.value("gate", cfg.gate).dump());
    names = {{"real-dir", real.name}, {"synthetic-dir", syn.name}, {"gate.json", "gate"}, {"real-dir/dataset.json", "schema"}};
    std::vector<std::string> args{"evaluate", "--real", "real-dir", "--synthetic", "synthetic-dir", "--schema",
                                  "real-dir/dataset.json", "--gate", "gate.json", "--report", "report.html", "--json-out",
                                  "report.json", "--seed", seed, "--quiet"};
    if (p.contains("holdout")) {
      const Dataset h = dataset(p["holdout"].get<int64_t>());
      unpack_records(h, s("holdout-dir"));
      names["holdout-dir"] = h.name;
      args.insert(args.end(), {"--holdout", "holdout-dir"});
    }
    if (p.contains("target")) args.insert(args.end(), {"--target", p["target"].get<std::string>()});
    if (!step(args)) return nlohmann::json::object();
    return evaluation_result(job, s);
  }
  throw Error("unknown job kind '" + job.kind + "' for a dataset of several tables");
}

}  // namespace medgen::server
