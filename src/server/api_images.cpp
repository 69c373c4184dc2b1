// Images: NIfTI volumes and image models uploaded to a project, image jobs that run a model on a
// volume (enhance, anomaly), downloads and PNG previews. The server never parses an image
// itself: every volume is read by a child process of the medgen program (`medgen image info`,
// `preview`, `enhance`, `anomaly`) on a plaintext copy in a private scratch folder that is
// removed afterwards. The readers run nifticlib and LibTorch on untrusted bytes, redirect the
// process's stderr and may abort; in a child, none of that reaches the server.
#include <sodium.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_impl.h"
#include "scratch.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/model_file.h"

namespace fs = std::filesystem;

namespace medgen::server {

namespace {

const char* const kAxes[] = {"axial", "coronal", "sagittal"};
const char* const kWindows[] = {"auto", "brain", "bone", "soft", "lung"};
// Kinds `medgen image train` makes (features networks are internal to `image evaluate`).
const char* const kModelKinds[] = {"vae", "gan", "denoise", "sr", "dae"};


template <size_t N>
bool one_of(const std::string& s, const char* const (&list)[N]) {
  for (const char* x : list)
    if (s == x) return true;
  return false;
}

template <size_t N>
std::string listed(const char* const (&list)[N]) {
  std::string out;
  for (const char* x : list) out += (out.empty() ? "" : ", ") + std::string(x);
  return out;
}

bool is_gzip(const std::string& bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

// The plaintext extension of a stored volume: its file name says whether it is gzipped.
std::string volume_ext(const Image& im) {
  const std::string gz = ".nii.gz.enc";
  return im.file.size() > gz.size() && im.file.compare(im.file.size() - gz.size(), gz.size(), gz) == 0 ? ".nii.gz"
                                                                                                      : ".nii";
}



std::string query_name(const HttpRequest& req) {
  const auto it = req.query.find("name");
  return display_name(it == req.query.end() ? nlohmann::json() : nlohmann::json(it->second), "name");
}

nlohmann::json image_json(const Image& im) {
  return {{"id", im.id},
          {"project", im.project_id},
          {"name", im.name},
          {"kind", im.kind},
          {"source_job", im.source_job ? nlohmann::json(im.source_job) : nlohmann::json()},
          {"created_by", im.created_by},
          {"created_at", im.created_at}};
}




// The kind of an image model file (vae, gan, denoise, sr, dae) from its header, after the
// container's magic, lengths and checksum are checked (ModelFormat naming `source`). The
// weights are checked where LibTorch runs: in the job's child, when the model is loaded.
std::string image_model_kind(const std::string& bytes, const std::string& source) {
  const ModelFile mf = ModelFile::deserialize(bytes, source);
  const nlohmann::json& h = mf.header;
  if (!h.is_object() || h.value("model", nlohmann::json()) != "image")
    throw InvalidInput(source + ": not a medgen image model (one made by `medgen image train`)");
  const nlohmann::json options = h.value("options", nlohmann::json());
  const nlohmann::json kind = options.is_object() ? options.value("kind", nlohmann::json()) : nlohmann::json();
  if (!kind.is_string() || !one_of(kind.get<std::string>(), kModelKinds))
    throw InvalidInput(source + ": an image model of kind " + listed(kModelKinds) + " is required");
  return kind.get<std::string>();
}

}  // namespace

// ---------------------------------------------------------------------------- job work

nlohmann::json Api::Impl::run_image_job(const Job& job, JobControl& control) {
  const bool enhance = job.kind == "image.enhance";
  if (!enhance && job.kind != "image.anomaly") throw Error("unknown job kind '" + job.kind + "'");
  const nlohmann::json p = nlohmann::json::parse(job.params_json);
  const std::optional<Image> volume = store->image(p.at("volume").get<int64_t>());
  const std::optional<Image> model = store->image(p.at("model").get<int64_t>());
  if (!volume || !model) throw InvalidInput("the job's volume or model no longer exists");
  Scratch s(work_root, "job-" + std::to_string(job.id), true);
  const std::string input = "input" + volume_ext(*volume);
  write_file_atomic(s(input), read_encrypted(volume->file));
  write_file_atomic(s("model.medgen"), read_encrypted(model->file));
  const std::map<std::string, std::string> names = {{input, volume->name}, {"model.medgen", model->name}};
  const std::vector<std::string> argv{exe,
                                      "image",
                                      enhance ? "enhance" : "anomaly",
                                      "--model",
                                      "model.medgen",
                                      "--input",
                                      input,
                                      "--output",
                                      "output.nii.gz",
                                      "--axis",
                                      p.value("axis", std::string("axial")),
                                      "--seed",
                                      std::to_string(p.value("seed", uint64_t{0})),
                                      "--json-out",
                                      "summary.json",
                                      "--quiet"};
  auto on_progress = [&](const nlohmann::json& line) {
    const auto num = [&](const char* k) {
      return line.contains(k) && line[k].is_number() ? line[k].get<double>() : 0.0;
    };
    const std::string task = line.contains("task") && line["task"].is_string() ? line["task"].get<std::string>() : "";
    if (num("total") > 0) control.progress(std::min(1.0, num("done") / num("total")), task);
  };
  // stdout carries only the summary, which is also written to summary.json.
  const ChildResult r = run_child(argv, {}, control, on_progress, uint64_t{64} << 20, s.lock_fd(), s.dir());
  if (control.shutdown && r.exit_code != 0) throw JobPostponed{};
  if (control.cancel) return nlohmann::json::object();
  if (r.exit_code != 0) throw InvalidInput(child_error(r, s, names));
  nlohmann::json summary = nlohmann::json::parse(read_file(s("summary.json"), uint64_t{64} << 20), nullptr, false);
  if (!summary.is_object()) summary = nlohmann::json::object();
  // Its input and output are scratch paths: the result names images instead.
  summary.erase("input");
  summary.erase("output");

  Image out;
  out.project_id = job.project_id;
  out.name = (enhance ? "enhanced " : "anomaly map of ") + volume->name + " (job " + std::to_string(job.id) + ")";
  out.kind = "result";
  // The file first, named by the job: a crash between the two leaves a stray file (overwritten
  // when the job runs again), never an image row without its file.
  out.file = "images/job-" + std::to_string(job.id) + ".nii.gz.enc";
  out.encrypted = true;
  out.created_by = job.created_by;
  out.source_job = job.id;
  encrypt_file(key, s("output.nii.gz"), path(out.file), out.file);
  out.id = store->create_image(out);
  return {{"image", out.id}, {"volume", volume->id}, {"model", model->id}, {"summary", summary}};
}

// ---------------------------------------------------------------------------- routes

void Api::Impl::add_image_routes() {
  // What a killed server can leave of images: temporaries of encrypted files, and the plaintext
  // scratch folders of requests (jobs' folders are reused by the job when it runs again).
  // (images/ itself is one of kDataFolders: made private and cleaned of temporaries at start.)
  {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(work_root, ec))
      if (e.path().filename().string().rfind("req-", 0) == 0) fs::remove_all(e.path(), ec);
  }

  auto image_in = [this](Ctx& ctx, int64_t id, const std::string& action) {
    const std::optional<Image> im = store->image(id);
    if (!im || im->project_id != ctx.project) deny(ctx, action, "image:" + std::to_string(id));
    return *im;
  };

  // Stores an upload encrypted, under a random name (the row's id is not known before the row).
  auto store_upload = [this](Ctx& ctx, const std::string& name, const std::string& kind, const std::string& ext) {
    Image im;
    im.project_id = ctx.project;
    im.name = name;
    im.kind = kind;
    im.file = "images/upload-" + random_hex(16) + ext + ".enc";
    im.encrypted = true;
    im.created_by = ctx.caller->user.id;
    write_encrypted(im.file, ctx.req.body);
    try {
      im.id = store->create_image(im);
    } catch (...) {
      std::error_code ec;
      fs::remove(path(im.file), ec);
      throw;
    }
    return *store->image(im.id);
  };

  add("POST", "/api/v1/projects/{project}/images", "images",
      "upload a NIfTI volume (.nii or .nii.gz bytes as the body; ?name=), stored encrypted", "steward", "binary",
      [this, store_upload](Ctx& ctx) {
        require(ctx, Perm::kUploadReal, "image.upload");
        const std::string name = query_name(ctx.req);
        if (ctx.req.body.empty()) throw ApiError{400, "bad_request", name + ": the body is empty"};
        const std::string ext = is_gzip(ctx.req.body) ? ".nii.gz" : ".nii";
        nlohmann::json info;
        {
          Scratch s(work_root, "req-" + random_hex(8), false);
          const std::string file = "upload" + ext;
          write_file_atomic(s(file), ctx.req.body);
          bool timed_out = false;
          const ChildResult r =
              run_request_child({exe, "image", "info", file, "--json"}, s, kRequestChildLimit, &timed_out);
          if (timed_out) throw ApiError{400, "invalid_input", name + ": the volume could not be read in time"};
          if (r.exit_code != 0) throw ApiError{400, "invalid_input", child_error(r, s, {{file, name}})};
          info = nlohmann::json::parse(r.out, nullptr, false);
          if (!info.is_object()) throw Error("`medgen image info --json` printed no JSON object");
          // `image info` also describes model files (their header): a volume has dimensions.
          if (!info.contains("dims"))
            throw ApiError{400, "invalid_input", name + ": not a NIfTI volume (a medgen model file goes to images/models)"};
        }
        const Image im = store_upload(ctx, name, "volume", ext);
        nlohmann::json out = image_json(im);
        for (const char* k : {"dims", "spacing_mm", "orientation"}) out[k] = info.value(k, nlohmann::json());
        audit(ctx, "image.upload", "image:" + std::to_string(im.id), "ok",
              {{"name", name}, {"kind", im.kind}, {"bytes", ctx.req.body.size()}, {"dims", out["dims"]}});
        return ok(out, 201);
      });

  // A model file is parsed by LibTorch in the jobs' children, which run as the server's user:
  // only those already trusted with the real data may bring one in.
  add("POST", "/api/v1/projects/{project}/images/models", "images",
      "upload an image model made by `medgen image train` (the file as the body; ?name=), stored encrypted",
      "steward", "binary", [this, store_upload](Ctx& ctx) {
        require(ctx, Perm::kUploadReal, "image.upload");
        const std::string name = query_name(ctx.req);
        const std::string kind = image_model_kind(ctx.req.body, name);
        const Image im = store_upload(ctx, name, "model", ".medgen");
        nlohmann::json out = image_json(im);
        out["model_kind"] = kind;
        audit(ctx, "image.upload", "image:" + std::to_string(im.id), "ok",
              {{"name", name}, {"kind", im.kind}, {"model_kind", kind}, {"bytes", ctx.req.body.size()}});
        return ok(out, 201);
      });

  add("GET", "/api/v1/projects/{project}/images", "images",
      "the project's images: volumes, models and results (metadata; ?kind= to filter)", "steward, analyst", "",
      [this](Ctx& ctx) {
        require(ctx, Perm::kView, "image.list");
        const auto k = ctx.req.query.find("kind");
        if (k != ctx.req.query.end() && k->second != "volume" && k->second != "model" && k->second != "result")
          throw ApiError{400, "bad_request", "kind: volume, model or result"};
        nlohmann::json out = nlohmann::json::array();
        for (const Image& im : store->images(ctx.project))
          if (k == ctx.req.query.end() || im.kind == k->second) out.push_back(image_json(im));
        return ok(out);
      });

  add("GET", "/api/v1/projects/{project}/images/{image}", "images", "one image's metadata", "steward, analyst", "",
      [this, image_in](Ctx& ctx) {
        require(ctx, Perm::kView, "image.read");
        return ok(image_json(image_in(ctx, id_param(ctx.req, "image"), "image.read")));
      });

  // Volumes and results show patients' anatomy, and a model may have learned it: all real data.
  add("GET", "/api/v1/projects/{project}/images/{image}/file", "images",
      "download the image's file (volumes and results: NIfTI; models: the model file)", "steward", "",
      [this, image_in](Ctx& ctx) {
        require(ctx, Perm::kReadReal, "image.download");
        const Image im = image_in(ctx, id_param(ctx.req, "image"), "image.download");
        const bool model = im.kind == "model";
        const std::string ext = model ? ".medgen" : volume_ext(im);
        Reply r = ok(nlohmann::json::object());
        r.response.body = read_encrypted(im.file);
        r.response.content_type = ext == ".nii.gz" ? "application/gzip" : "application/octet-stream";
        r.response.headers.push_back(
            {"Content-Disposition", "attachment; filename=\"image-" + std::to_string(im.id) + ext + "\""});
        audit(ctx, "image.download", "image:" + std::to_string(im.id), "ok",
              {{"kind", im.kind}, {"bytes", r.response.body.size()}});
        return r;
      });

  add("GET", "/api/v1/projects/{project}/images/{image}/preview", "images",
      "a PNG of one slice of a volume or result (?slice= (default: the middle), ?axis=axial|coronal|sagittal, "
      "?window=auto|brain|bone|soft|lung)",
      "steward", "", [this, image_in](Ctx& ctx) {
        require(ctx, Perm::kReadReal, "image.preview");
        const Image im = image_in(ctx, id_param(ctx.req, "image"), "image.preview");
        if (im.kind == "model") throw ApiError{400, "bad_request", "a model has no preview"};
        auto query = [&](const char* k, const std::string& def) {
          const auto it = ctx.req.query.find(k);
          return it == ctx.req.query.end() ? def : it->second;
        };
        const std::string axis = query("axis", "axial"), window = query("window", "auto"), slice = query("slice", "");
        if (!one_of(axis, kAxes)) throw ApiError{400, "bad_request", "axis: " + listed(kAxes)};
        if (!one_of(window, kWindows)) throw ApiError{400, "bad_request", "window: " + listed(kWindows)};
        if (!slice.empty() && (slice.size() > 6 || slice.find_first_not_of("0123456789") != std::string::npos))
          throw ApiError{400, "bad_request", "slice: an integer from 0 to 999999"};
        Scratch s(work_root, "req-" + random_hex(8), false);
        const std::string file = "image" + volume_ext(im);
        write_file_atomic(s(file), read_encrypted(im.file));
        std::vector<std::string> argv{exe, "image", "preview", file, "preview.png", "--axis", axis, "--window", window};
        if (!slice.empty()) argv.insert(argv.end(), {"--slice", slice});
        bool timed_out = false;
        const ChildResult c = run_request_child(argv, s, kRequestChildLimit, &timed_out);
        if (timed_out) throw ApiError{503, "busy", "the preview took too long; retry later"};
        if (c.exit_code != 0)
          throw ApiError{400, "invalid_input", child_error(c, s, {{file, im.name}, {"preview.png", "preview"}})};
        Reply r = ok(nlohmann::json::object());
        r.response.content_type = "image/png";
        r.response.body = read_file(s("preview.png"), uint64_t{256} << 20);
        audit(ctx, "image.preview", "image:" + std::to_string(im.id), "ok",
              {{"axis", axis}, {"slice", slice.empty() ? nlohmann::json() : nlohmann::json(std::stoll(slice))}});
        return r;
      });

  // The viewer's data: the whole volume once, as an uncompressed little-endian NIfTI-1 file
  // (int16 or float32 voxels, scaling applied) that a child wrote with `medgen image convert`,
  // so that the browser scrolls, windows and reslices without a request per slice and never
  // sees the upload's own header. One audit entry per volume opened.
  add("GET", "/api/v1/projects/{project}/images/{image}/volume", "images",
      "a volume or result for the viewer: uncompressed little-endian NIfTI-1, int16 or float32 voxels, at most "
      "64 million voxels",
      "steward", "", [this, image_in](Ctx& ctx) {
        require(ctx, Perm::kReadReal, "image.view");
        const Image im = image_in(ctx, id_param(ctx.req, "image"), "image.view");
        if (im.kind == "model") throw ApiError{400, "bad_request", "a model is not a volume"};
        Scratch s(work_root, "req-" + random_hex(8), false);
        const std::string file = "image" + volume_ext(im);
        write_file_atomic(s(file), read_encrypted(im.file));
        bool timed_out = false;
        const ChildResult c =
            run_request_child({exe, "image", "convert", file, "view.nii", "--json", "--quiet"}, s, kRequestChildLimit,
                              &timed_out);
        if (timed_out) throw ApiError{503, "busy", "reading the volume took too long; retry later"};
        if (c.exit_code != 0)
          throw ApiError{400, "invalid_input", child_error(c, s, {{file, im.name}, {"view.nii", "view"}})};
        const nlohmann::json info = nlohmann::json::parse(c.out, nullptr, false);
        uint64_t voxels = 1;
        if (!info.is_object() || !info.contains("dims") || !info["dims"].is_array()) throw Error("convert printed no dims");
        for (const auto& d : info["dims"]) voxels *= d.is_number_unsigned() ? d.get<uint64_t>() : 0;
        constexpr uint64_t kMaxVoxels = uint64_t{64} << 20;
        if (voxels == 0 || voxels > kMaxVoxels)
          throw ApiError{413, "too_large", im.name + ": " + std::to_string(voxels) +
                                               " voxels, more than the viewer takes (67108864); use the previews"};
        Reply r = ok(nlohmann::json::object());
        r.response.content_type = "application/octet-stream";
        r.response.body = read_file(s("view.nii"), 352 + kMaxVoxels * 4);
        audit(ctx, "image.view", "image:" + std::to_string(im.id), "ok",
              {{"kind", im.kind}, {"dims", info["dims"]}, {"bytes", r.response.body.size()}});
        return r;
      });

  // Image jobs.
  auto submit = [this](Ctx& ctx, const std::string& kind, const nlohmann::json& params, const std::string& object) {
    return submit_job(ctx, kind, params, object);
  };

  // {volume, model, axis?, seed?} checked: both images of this project, of the right kinds.
  auto image_job = [this, image_in, submit](Ctx& ctx, const std::string& kind,
                                            std::initializer_list<const char*> model_kinds) {
    const std::string action = "job." + kind;
    require(ctx, Perm::kWork, action);
    const nlohmann::json b = json_body(ctx.req);
    const Image v = image_in(ctx, int_field(b, "volume", 0, 1, INT64_MAX, true), action);
    const Image m = image_in(ctx, int_field(b, "model", 0, 1, INT64_MAX, true), action);
    if (v.kind == "model") throw ApiError{400, "bad_request", "volume: a volume or a result, not a model"};
    if (m.kind != "model") throw ApiError{400, "bad_request", "model: an image model"};
    const std::string mk = image_model_kind(read_encrypted(m.file), m.name);
    std::string wanted;
    bool fits = false;
    for (const char* k : model_kinds) {
      fits = fits || mk == k;
      wanted += (wanted.empty() ? "" : " or ") + std::string(k);
    }
    if (!fits) throw ApiError{400, "bad_request", "model: a " + wanted + " model is required, not " + mk};
    nlohmann::json params{{"volume", v.id}, {"model", m.id}, {"seed", int_field(b, "seed", 0, 0, INT64_MAX)}};
    if (b.contains("axis")) {
      if (!b["axis"].is_string() || !one_of(b["axis"].get<std::string>(), kAxes))
        throw ApiError{400, "bad_request", "axis: " + listed(kAxes)};
      params["axis"] = b["axis"];
    }
    return submit(ctx, kind, params, "image:" + std::to_string(v.id));
  };

  add("POST", "/api/v1/projects/{project}/jobs/image-enhance", "jobs",
      "denoise or super-resolve a volume with an image model; the result is a new image: {volume, model, axis?, "
      "seed?}",
      "steward, analyst", "json",
      [image_job](Ctx& ctx) { return image_job(ctx, "image.enhance", {"denoise", "sr"}); });

  add("POST", "/api/v1/projects/{project}/jobs/image-anomaly", "jobs",
      "anomaly map of a volume from a vae or dae model (a new image) and per-slice scores: {volume, model, axis?}",
      "steward, analyst", "json",
      [image_job](Ctx& ctx) { return image_job(ctx, "image.anomaly", {"vae", "dae"}); });
}

}  // namespace medgen::server
