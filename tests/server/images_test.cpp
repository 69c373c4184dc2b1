// The images part of the API against a real server on loopback: NIfTI volumes and image models
// uploaded, a trained model run on a volume as a job (enhance, anomaly), results downloaded and
// previewed by a steward only, and the refusals (analysts, other projects' ids, files that are
// not NIfTI or not image models). The volume is a small phantom built here; the models are
// trained by `medgen image train` in a few steps.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "medgen/core/file.h"
#include "medgen/core/model_file.h"
#include "medgen/server/api.h"
#include "server/server_client.h"

namespace fs = std::filesystem;
using medgen::server::testing::http_call;
using medgen::server::testing::Resp;
using medgen::server::testing::TestServer;

namespace {

template <typename T>
void put(std::string& s, size_t off, T value) {
  std::memcpy(&s[off], &value, sizeof value);
}

// A NIfTI-1 file of int16 voxels: an elliptic cylinder of tissue with some texture and two
// brighter blobs on a dark background, nx x ny x nz at 1 mm.
std::string phantom_nifti(int16_t nx, int16_t ny, int16_t nz) {
  std::string h(352, '\0');
  put(h, 0, int32_t{348});
  const int16_t dim[8] = {3, nx, ny, nz, 1, 1, 1, 1};
  for (int i = 0; i < 8; ++i) put(h, 40 + 2 * i, dim[i]);
  put(h, 70, int16_t{4});   // INT16
  put(h, 72, int16_t{16});  // bitpix
  for (int i = 0; i < 8; ++i) put(h, 76 + 4 * i, 1.0f);
  put(h, 108, 352.0f);  // vox_offset
  std::memcpy(&h[344], "n+1", 4);
  std::string data(size_t{2} * nx * ny * nz, '\0');
  size_t at = 0;
  for (int z = 0; z < nz; ++z)
    for (int y = 0; y < ny; ++y)
      for (int x = 0; x < nx; ++x, at += 2) {
        const double u = (x - nx / 2.0) / (0.42 * nx), v = (y - ny / 2.0) / (0.36 * ny);
        double value = 0;
        if (u * u + v * v < 1) {
          value = 500 + 120 * std::sin(x / 3.0 + z / 7.0) * std::cos(y / 4.0);
          const double b1 = std::hypot(x - nx / 3.0, y - ny / 2.0), b2 = std::hypot(x - 2 * nx / 3.0, y - ny / 3.0);
          if (b1 < 4 + (z % 5)) value += 400;
          if (b2 < 3) value -= 250;
        }
        put(data, at, static_cast<int16_t>(value));
      }
  return h + data;
}

// Runs the medgen program; its output goes to `log`.
int medgen(const std::string& args, const std::string& log) {
  return std::system((std::string(MEDGEN_CLI) + " " + args + " >" + log + " 2>&1").c_str());
}

class ImageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/medgen-images-XXXXXX";
    dir_ = new std::string(::mkdtemp(tmpl));
    const std::string d = *dir_;
    medgen::write_file_atomic(d + "/phantom.nii", phantom_nifti(48, 48, 40));
    const std::string log = d + "/cli.log";
    // A tiny denoiser and a tiny VAE: seconds each; what they learn does not matter here.
    ASSERT_EQ(medgen("image convert " + d + "/phantom.nii " + d + "/phantom.nii.gz", log), 0) << medgen::read_file(log);
    ASSERT_EQ(medgen("image train --model denoise --data " + d + "/phantom.nii --output " + d +
                         "/dn.medgen --steps 5 --depth 3 --width 4 --patch 16 --noise-level 0.05 --quiet --seed 1",
                     log),
              0)
        << medgen::read_file(log);
    ASSERT_EQ(medgen("image train --model vae --size 32 --channels 4 --latent 4 --steps 5 --data " + d +
                         "/phantom.nii --output " + d + "/vae.medgen --quiet --seed 1",
                     log),
              0)
        << medgen::read_file(log);

    medgen::server::ServerConfig cfg;
    cfg.data_dir = d + "/data";
    cfg.work_dir = d + "/work";
    cfg.medgen_exe = MEDGEN_CLI;
    cfg.sim_data = std::string(MEDGEN_SOURCE_DIR) + "/data/sim";
    cfg.password_cost = {1, size_t{8} << 20};
    cfg.http.max_body_bytes = 4 << 20;
    cfg.workers = 1;
    cfg.queue = 4;
    server_ = new TestServer(cfg);
    admin_ = new std::string(login("admin", server_->admin_password()));
    const std::string& admin = *admin_;
    p1_ = call("POST", "/api/v1/projects", R"({"name":"radiology"})", admin).json()["id"];
    p2_ = call("POST", "/api/v1/projects", R"({"name":"neurology"})", admin).json()["id"];
    for (const char* u : {"steward", "analyst", "steward2"}) {
      const Resp r = call("POST", "/api/v1/users",
                          nlohmann::json{{"name", u}, {"password", std::string(u) + "-password-1"}}.dump(), admin);
      ASSERT_EQ(r.status, 201) << r.body;
      const std::string role = std::string(u) == "analyst" ? "analyst" : "steward";
      const int64_t project = std::string(u) == "steward2" ? p2_ : p1_;
      const Resp m = call("PUT", proj(project) + "/members/" + std::to_string(r.json()["id"].get<int64_t>()),
                          nlohmann::json{{"role", role}}.dump(), admin);
      ASSERT_EQ(m.status, 200) << m.body;
      (*tokens_)[u] = login(u, std::string(u) + "-password-1");
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    delete admin_;
  }

  static Resp call(const std::string& method, const std::string& target, const std::string& body,
                   const std::string& token, const std::string& type = "application/json") {
    return http_call(server_->port(), method, target, body, token, type);
  }
  static Resp get(const std::string& target, const std::string& token) { return call("GET", target, "", token); }
  static std::string login(const std::string& user, const std::string& password) {
    const Resp r = call("POST", "/api/v1/login", nlohmann::json{{"user", user}, {"password", password}}.dump(), "");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().value("token", "");
  }
  static std::string tok(const std::string& user) { return tokens_->at(user); }
  static std::string proj(int64_t p) { return "/api/v1/projects/" + std::to_string(p); }
  static std::string file(const std::string& name) { return medgen::read_file(*dir_ + "/" + name); }

  static Resp upload(int64_t project, const std::string& token, const std::string& name, const std::string& bytes,
                     bool model = false) {
    return call("POST", proj(project) + (model ? "/images/models?name=" : "/images?name=") + name, bytes, token,
                "application/octet-stream");
  }
  static int64_t upload_ok(int64_t project, const std::string& token, const std::string& name,
                           const std::string& bytes, bool model = false) {
    const Resp r = upload(project, token, name, bytes, model);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().value("id", int64_t{0});
  }
  static nlohmann::json wait_job(int64_t project, int64_t job, const std::string& token, int seconds = 60) {
    return medgen::server::testing::wait_job(server_->port(), project, job, token, seconds);
  }
  static std::string image(int64_t project, int64_t id, const std::string& rest = "") {
    return proj(project) + "/images/" + std::to_string(id) + rest;
  }

  static std::string* dir_;
  static std::string* admin_;
  static TestServer* server_;
  static int64_t p1_, p2_;
  static std::map<std::string, std::string>* tokens_;
};

std::string* ImageTest::dir_ = nullptr;
std::string* ImageTest::admin_ = nullptr;
TestServer* ImageTest::server_ = nullptr;
int64_t ImageTest::p1_ = 0, ImageTest::p2_ = 0;
std::map<std::string, std::string>* ImageTest::tokens_ = new std::map<std::string, std::string>();

TEST_F(ImageTest, UploadEnhanceDownloadAndPreview) {
  const Resp up = upload(p1_, tok("steward"), "phantom", file("phantom.nii.gz"));
  ASSERT_EQ(up.status, 201) << up.body;
  EXPECT_EQ(up.json()["kind"], "volume");
  EXPECT_EQ(up.json()["dims"], nlohmann::json({48, 48, 40}));
  const int64_t volume = up.json()["id"];
  const Resp mu = upload(p1_, tok("steward"), "denoiser", file("dn.medgen"), true);
  ASSERT_EQ(mu.status, 201) << mu.body;
  EXPECT_EQ(mu.json()["model_kind"], "denoise");
  const int64_t model = mu.json()["id"];
  // Only stewards bring volumes and models in.
  EXPECT_EQ(upload(p1_, tok("analyst"), "x", file("phantom.nii")).status, 403);
  EXPECT_EQ(upload(p1_, tok("analyst"), "x", file("dn.medgen"), true).status, 403);

  // The analyst sees the metadata and runs the job.
  const nlohmann::json list = get(proj(p1_) + "/images", tok("analyst")).json();
  ASSERT_TRUE(list.is_array());
  bool listed = false;
  for (const auto& im : list) listed = listed || im["id"] == volume;
  EXPECT_TRUE(listed) << list.dump();
  const nlohmann::json models = get(proj(p1_) + "/images?kind=model", tok("analyst")).json();
  ASSERT_FALSE(models.empty());
  for (const auto& im : models) EXPECT_EQ(im["kind"], "model");
  EXPECT_EQ(get(image(p1_, model), tok("analyst")).json()["name"], "denoiser");
  const Resp job = call("POST", proj(p1_) + "/jobs/image-enhance",
                        nlohmann::json{{"volume", volume}, {"model", model}, {"seed", 3}}.dump(), tok("analyst"));
  ASSERT_EQ(job.status, 202) << job.body;
  EXPECT_EQ(job.json()["kind"], "image.enhance");
  const nlohmann::json j = wait_job(p1_, job.json()["id"], tok("analyst"));
  ASSERT_EQ(j["state"], "succeeded") << j.dump();
  const int64_t result = j["result"]["image"];
  EXPECT_EQ(j["result"]["summary"]["dims"], nlohmann::json({48, 48, 40})) << j.dump();
  EXPECT_EQ(j.dump().find(*dir_), std::string::npos) << j.dump();  // no scratch paths
  const nlohmann::json meta = get(image(p1_, result), tok("analyst")).json();
  EXPECT_EQ(meta["kind"], "result");
  EXPECT_EQ(meta["source_job"], j["id"]);

  // The result is patient data: the steward downloads it (a NIfTI medgen reads back), the
  // analyst may not, nor see a preview.
  const Resp dl = get(image(p1_, result, "/file"), tok("steward"));
  ASSERT_EQ(dl.status, 200) << dl.body;
  ASSERT_GE(dl.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(dl.body[0]), 0x1f);  // gzip
  medgen::write_file_atomic(*dir_ + "/result.nii.gz", dl.body);
  ASSERT_EQ(medgen("image info " + *dir_ + "/result.nii.gz --json", *dir_ + "/info.json"), 0) << file("info.json");
  EXPECT_EQ(nlohmann::json::parse(file("info.json"))["dims"], nlohmann::json({48, 48, 40}));
  EXPECT_EQ(get(image(p1_, result, "/file"), tok("analyst")).status, 403);
  EXPECT_EQ(get(image(p1_, volume, "/file"), tok("analyst")).status, 403);
  EXPECT_EQ(get(image(p1_, volume, "/file"), tok("steward")).body, file("phantom.nii.gz"));

  const Resp png = get(image(p1_, result, "/preview?slice=5&axis=coronal&window=soft"), tok("steward"));
  ASSERT_EQ(png.status, 200) << png.body;
  EXPECT_EQ(png.headers.at("content-type"), "image/png");
  EXPECT_EQ(png.body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(get(image(p1_, volume, "/preview"), tok("steward")).status, 200);
  EXPECT_EQ(get(image(p1_, volume, "/preview"), tok("analyst")).status, 403);
  const Resp far = get(image(p1_, volume, "/preview?slice=400"), tok("steward"));
  EXPECT_EQ(far.status, 400);
  EXPECT_NE(far.body.find("out of range"), std::string::npos) << far.body;  // the reader's words
  EXPECT_EQ(far.body.find(*dir_), std::string::npos) << far.body;           // no server path
  EXPECT_EQ(get(image(p1_, volume, "/preview?axis=oblique"), tok("steward")).status, 400);
  EXPECT_EQ(get(image(p1_, model, "/preview"), tok("steward")).status, 400);
}

TEST_F(ImageTest, AnomalyMapsNeedAVaeOrDae) {
  const int64_t volume = upload_ok(p1_, tok("steward"), "phantom-plain", file("phantom.nii"));
  const int64_t vae = upload_ok(p1_, tok("steward"), "vae", file("vae.medgen"), true);
  const int64_t dn = upload_ok(p1_, tok("steward"), "dn", file("dn.medgen"), true);
  auto post = [&](const char* route, const nlohmann::json& b) {
    return call("POST", proj(p1_) + route, b.dump(), tok("analyst"));
  };
  // A model of the wrong kind, a volume given as the model and vice versa: refused at once.
  EXPECT_EQ(post("/jobs/image-anomaly", {{"volume", volume}, {"model", dn}}).status, 400);
  EXPECT_EQ(post("/jobs/image-enhance", {{"volume", volume}, {"model", vae}}).status, 400);
  EXPECT_EQ(post("/jobs/image-enhance", {{"volume", volume}, {"model", volume}}).status, 400);
  EXPECT_EQ(post("/jobs/image-enhance", {{"volume", dn}, {"model", dn}}).status, 400);
  EXPECT_EQ(post("/jobs/image-enhance", {{"volume", volume}}).status, 400);
  EXPECT_EQ(post("/jobs/image-anomaly", {{"volume", volume}, {"model", vae}, {"axis", "up"}}).status, 400);
  const Resp job = post("/jobs/image-anomaly", {{"volume", volume}, {"model", vae}});
  ASSERT_EQ(job.status, 202) << job.body;
  const nlohmann::json j = wait_job(p1_, job.json()["id"], tok("analyst"));
  ASSERT_EQ(j["state"], "succeeded") << j.dump();
  EXPECT_TRUE(j["result"]["summary"]["slices"].is_array()) << j.dump();
  EXPECT_EQ(get(image(p1_, j["result"]["image"].get<int64_t>()), tok("analyst")).json()["kind"], "result");
}

// The upload checks the model file's container and header; its weights are checked by LibTorch
// in the job's child, whose words reach the steward (not the analyst) without server paths.
TEST_F(ImageTest, AModelWhoseWeightsDoNotLoadFailsTheJob) {
  medgen::ModelFile mf = medgen::ModelFile::load(*dir_ + "/dn.medgen");
  mf.payload = "not a LibTorch archive";
  const int64_t model = upload_ok(p1_, tok("steward"), "broken-weights", mf.serialize(), true);
  const int64_t volume = upload_ok(p1_, tok("steward"), "phantom-3", file("phantom.nii"));
  const Resp job = call("POST", proj(p1_) + "/jobs/image-enhance",
                        nlohmann::json{{"volume", volume}, {"model", model}}.dump(), tok("analyst"));
  ASSERT_EQ(job.status, 202) << job.body;
  const nlohmann::json j = wait_job(p1_, job.json()["id"], tok("steward"));
  ASSERT_EQ(j["state"], "failed") << j.dump();
  const std::string message = j["message"];
  EXPECT_NE(message.find("broken-weights"), std::string::npos) << message;
  EXPECT_EQ(message.find(*dir_), std::string::npos) << message;
  EXPECT_EQ(message.find("model.medgen"), std::string::npos) << message;
  EXPECT_EQ(get(proj(p1_) + "/jobs/" + std::to_string(j["id"].get<int64_t>()), tok("analyst")).json()["message"]
                .get<std::string>()
                .find("broken-weights"),
            std::string::npos);
}

TEST_F(ImageTest, FilesThatAreNotNiftiOrModelsAreRefused) {
  for (const std::string& bytes : {std::string("id,age\n1,50\n"), file("phantom.nii").substr(0, 2000),
                                   std::string("\x1f\x8b garbage that only starts like gzip"), file("dn.medgen")}) {
    const Resp r = upload(p1_, tok("steward"), "scan-42", bytes);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("scan-42"), std::string::npos) << r.body;  // names the upload
    EXPECT_EQ(r.body.find(*dir_), std::string::npos) << r.body;      // not a server path
  }
  EXPECT_EQ(upload(p1_, tok("steward"), "", file("phantom.nii")).status, 400);
  EXPECT_EQ(upload(p1_, tok("steward"), "empty", "").status, 400);
  for (const std::string& bytes : {std::string("not a model"), file("phantom.nii")}) {
    const Resp r = upload(p1_, tok("steward"), "weights-7", bytes, true);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("weights-7"), std::string::npos) << r.body;
  }
  // No plaintext left behind in the scratch folder.
  for (const auto& e : fs::directory_iterator(*dir_ + "/work"))
    EXPECT_NE(e.path().filename().string().rfind("req-", 0), 0u) << e.path();
}

TEST_F(ImageTest, OtherProjectsIdsAndAbsentIdsAreRefusedAlike) {
  const int64_t mine = upload_ok(p1_, tok("steward"), "mine", file("phantom.nii"));
  const int64_t mine_model = upload_ok(p1_, tok("steward"), "my-model", file("dn.medgen"), true);
  const int64_t theirs = upload_ok(p2_, tok("steward2"), "theirs", file("phantom.nii"));
  const int64_t their_model = upload_ok(p2_, tok("steward2"), "their-model", file("dn.medgen"), true);
  for (const std::string& rest : {"", "/file", "/preview"}) {
    const Resp foreign = get(image(p1_, theirs, rest), tok("steward"));
    const Resp absent = get(image(p1_, 999999, rest), tok("steward"));
    EXPECT_EQ(foreign.status, 403) << rest;
    EXPECT_EQ(absent.status, 403) << rest;
    EXPECT_EQ(foreign.body, absent.body) << rest;
  }
  auto enhance = [&](int64_t volume, int64_t model) {
    return call("POST", proj(p1_) + "/jobs/image-enhance",
                nlohmann::json{{"volume", volume}, {"model", model}}.dump(), tok("analyst"));
  };
  const Resp foreign_volume = enhance(theirs, mine_model), foreign_model = enhance(mine, their_model);
  EXPECT_EQ(foreign_volume.status, 403);
  EXPECT_EQ(foreign_model.status, 403);
  EXPECT_EQ(foreign_volume.body, enhance(999999, mine_model).body);
  // No role in the other project; none there for an analyst of this one.
  EXPECT_EQ(get(proj(p2_) + "/images", tok("steward")).status, 403);
  EXPECT_EQ(get(image(p2_, theirs), tok("analyst")).status, 403);
  EXPECT_EQ(get(proj(p1_) + "/images", "").status, 401);
  EXPECT_EQ(get(image(p1_, 0), tok("steward")).status, 400);
}

TEST_F(ImageTest, FilesAreEncryptedOnDisk) {
  upload_ok(p1_, tok("steward"), "plain", file("phantom.nii"));
  upload_ok(p1_, tok("steward"), "gzipped", file("phantom.nii.gz"));
  upload_ok(p1_, tok("steward"), "model", file("dn.medgen"), true);
  // Three bytes such as "n+1" turn up by chance in ciphertext; the NIfTI magic at its offset, a
  // whole header or a row of the phantom's voxels (slice 20, row 24) do not.
  const std::string plain = file("phantom.nii");
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(*dir_ + "/data/images")) {
    const std::string bytes = medgen::read_file(e.path().string());
    EXPECT_EQ(bytes.substr(0, 6), "MGENC1") << e.path();
    EXPECT_NE(bytes.substr(344, 4), std::string("n+1\0", 4)) << e.path();
    EXPECT_EQ(bytes.find(plain.substr(0, 348)), std::string::npos) << e.path();
    EXPECT_EQ(bytes.find(plain.substr(352 + 2 * (20 * 48 * 48 + 24 * 48), 96)), std::string::npos) << e.path();
    EXPECT_EQ(bytes.find("MEDGENM\x01"), std::string::npos) << e.path();
    ++n;
  }
  EXPECT_GE(n, 3u);
}

TEST_F(ImageTest, UploadsDownloadsAndRefusalsAreAudited) {
  const int64_t id = upload_ok(p1_, tok("steward"), "audited", file("phantom.nii"));
  ASSERT_EQ(get(image(p1_, id, "/file"), tok("steward")).status, 200);
  ASSERT_EQ(get(image(p1_, id, "/preview"), tok("analyst")).status, 403);
  const std::string object = "image:" + std::to_string(id);
  bool uploaded = false, downloaded = false, refused = false;
  for (const auto& e : get("/api/v1/audit?limit=1000", *admin_).json()) {
    uploaded = uploaded || (e["action"] == "image.upload" && e["object"] == object && e["outcome"] == "ok");
    downloaded = downloaded || (e["action"] == "image.download" && e["object"] == object && e["actor"] == "steward");
    refused = refused || (e["action"] == "image.preview" && e["outcome"] == "denied" && e["actor"] == "analyst");
  }
  EXPECT_TRUE(uploaded);
  EXPECT_TRUE(downloaded);
  EXPECT_TRUE(refused);
  EXPECT_TRUE(get("/api/v1/audit/verify", *admin_).json()["ok"].get<bool>());
}

}  // namespace

// The viewer's volume: an uncompressed little-endian NIfTI-1 of the stored volume, voxel for
// voxel, for stewards only; every opening audited, every refusal too.
TEST_F(ImageTest, ViewerVolumeIsTheSameVoxelsAsPlainNifti) {
  const int64_t volume = upload_ok(p1_, tok("steward"), "phantom-view", file("phantom.nii.gz"));
  const Resp v = get(image(p1_, volume, "/volume"), tok("steward"));
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_EQ(v.headers.at("content-type"), "application/octet-stream");
  ASSERT_GE(v.body.size(), 352u);
  auto i16 = [&](size_t off) {
    int16_t x;
    std::memcpy(&x, &v.body[off], 2);
    return x;
  };
  auto f32 = [&](size_t off) {
    float x;
    std::memcpy(&x, &v.body[off], 4);
    return x;
  };
  int32_t hdr = 0;
  std::memcpy(&hdr, v.body.data(), 4);
  EXPECT_EQ(hdr, 348);  // little-endian NIfTI-1
  EXPECT_EQ(i16(40), 3);
  EXPECT_EQ(i16(42), 48);
  EXPECT_EQ(i16(44), 48);
  EXPECT_EQ(i16(46), 40);
  const int16_t datatype = i16(70);
  ASSERT_TRUE(datatype == 4 || datatype == 16) << datatype;  // int16 or float32
  const size_t offset = static_cast<size_t>(f32(108));
  const size_t bytes = datatype == 4 ? 2 : 4;
  ASSERT_EQ(v.body.size(), offset + bytes * 48 * 48 * 40);
  // The same voxels as the phantom written above (int16 at 352), scaling applied.
  const std::string plain = file("phantom.nii");
  const float slope = f32(112) == 0 ? 1.0f : f32(112), inter = f32(116);
  for (size_t i : {size_t{0}, size_t{48 * 24 + 24}, size_t{48 * 48 * 20 + 48 * 20 + 16}, size_t{48 * 48 * 40 - 1}}) {
    int16_t want;
    std::memcpy(&want, &plain[352 + 2 * i], 2);
    const float got = datatype == 4 ? i16(offset + 2 * i) * slope + inter : f32(offset + 4 * i) * slope + inter;
    EXPECT_FLOAT_EQ(got, want) << "voxel " << i;
  }
  // Others may not; models are not volumes; ids elsewhere read like absent ones.
  EXPECT_EQ(get(image(p1_, volume, "/volume"), tok("analyst")).status, 403);
  EXPECT_EQ(get(image(p1_, volume, "/volume"), "").status, 401);
  EXPECT_EQ(get(image(p2_, volume, "/volume"), tok("steward2")).status, 403);
  EXPECT_EQ(get(image(p1_, 999999, "/volume"), tok("steward")).status, 403);
  const int64_t model = upload_ok(p1_, tok("steward"), "dn-view", file("dn.medgen"), true);
  EXPECT_EQ(get(image(p1_, model, "/volume"), tok("steward")).status, 400);
  bool opened = false, refused = false;
  for (const auto& e : get("/api/v1/audit?limit=1000", *admin_).json()) {
    opened = opened || (e["action"] == "image.view" && e["outcome"] == "ok" && e["actor"] == "steward" &&
                        e["object"] == "image:" + std::to_string(volume));
    refused = refused || (e["action"] == "image.view" && e["outcome"] == "denied" && e["actor"] == "analyst");
  }
  EXPECT_TRUE(opened);
  EXPECT_TRUE(refused);
}
