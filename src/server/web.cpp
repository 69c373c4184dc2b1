// The web app (web/ of the source tree: plain HTML, CSS and ES modules, no build step) served by
// `medgen serve`: GET / is web/index.html, GET /app/{file} and /app/pages/{file} the rest. The
// folder is read once at start into memory; a request only looks a name up in that map, so no
// request path ever reaches the file system.
#include <filesystem>
#include <system_error>

#include "api_impl.h"
#include "medgen/core/file.h"
#include "medgen/core/version.h"

namespace fs = std::filesystem;

namespace medgen::server {

namespace {

struct Asset {
  std::string bytes;
  std::string type;
};

// $MEDGEN_WEB_DIR, else the web/ beside the data/ of the source tree this binary was built from
// (as sim::Catalog::default_dir finds data/sim), else ./web.
std::string web_dir() {
  if (const char* e = std::getenv("MEDGEN_WEB_DIR"); e && *e) return e;
  const fs::path built = fs::path(MEDGEN_DATA_DIR).parent_path() / "web";
  std::error_code ec;
  if (fs::is_directory(built, ec)) return built.string();
  return "web";
}

// Only the kinds the app is made of; anything else in the folder is not served.
const char* content_type(const std::string& ext) {
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".json") return "application/json";
  return nullptr;
}

// The regular files of `dir` and of its pages/ subfolder (as "pages/NAME"), up to 4 MiB each.
std::map<std::string, Asset> load_assets(const std::string& dir) {
  std::map<std::string, Asset> out;
  for (const std::string sub : {"", "pages/"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(dir) / sub, ec)) {
      const std::string name = e.path().filename().string();
      const char* type = content_type(e.path().extension().string());
      if (!type || !e.is_regular_file(ec)) continue;
      out[sub + name] = Asset{read_file(e.path().string(), uint64_t{4} << 20), type};
    }
  }
  return out;
}

}  // namespace

void Api::Impl::add_web_routes() {
  auto assets = std::make_shared<const std::map<std::string, Asset>>(load_assets(web_dir()));
  auto serve = [assets](const std::string& name) {
    const auto it = assets->find(name);
    // 400 rather than 404: the route exists, the name is what is wrong (and /openapi.json's
    // probe of /app/{file} must not read as an unknown route).
    if (it == assets->end())
      throw ApiError{name == "index.html" ? 503 : 400, name == "index.html" ? "unavailable" : "bad_request",
                     name == "index.html" ? "the web app is not installed on this server" : "no such file of the app"};
    Reply r = ok(nlohmann::json::object());
    r.response.content_type = it->second.type;
    r.response.body = it->second.bytes;
    // The app's own files only: no inline scripts or styles, no other origins, no frames.
    r.response.headers.push_back({"Content-Security-Policy",
                                  "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                                  "script-src 'self'; frame-src 'none'; frame-ancestors 'none'"});
    return r;
  };
  add("GET", "/", "web", "the web app (web/index.html)", "anyone", "", [serve](Ctx&) { return serve("index.html"); },
      false);
  add("GET", "/app/{file}", "web", "a file of the web app", "anyone", "",
      [serve](Ctx& ctx) { return serve(ctx.req.params.at("file")); }, false);
  add("GET", "/app/pages/{file}", "web", "a page module of the web app", "anyone", "",
      [serve](Ctx& ctx) { return serve("pages/" + ctx.req.params.at("file")); }, false);
}

}  // namespace medgen::server
