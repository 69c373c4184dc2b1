// The CDS Hooks 1.0 service: discovery, hook calls, and serving on medgen's HTTP layer.
#include <algorithm>
#include <chrono>
#include <thread>

#include "medgen/core/error.h"
#include "medgen/ops/cds/cds.h"
#include "medgen/server/http.h"

using json = nlohmann::json;

namespace medgen::ops::cds {

namespace {

const char* kPatientView = "medgen-guidelines-patient-view";
const char* kOrderSelect = "medgen-guidelines-order-select";

json prefetch_templates() {
  return {{"patient", "Patient/{{context.patientId}}"},
          {"conditions", "Condition?patient={{context.patientId}}"},
          {"observations", "Observation?patient={{context.patientId}}"},
          {"medications", "MedicationRequest?patient={{context.patientId}}"},
          {"procedures", "Procedure?patient={{context.patientId}}"}};
}

json error(const std::string& code, const std::string& message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

}  // namespace

json discovery(const RuleBook& book) {
  size_t pv = 0, os = 0;
  for (const auto& r : book.rules())
    for (const auto& h : r.hooks) (h == "patient-view" ? pv : os)++;
  return {{"services",
           {{{"hook", "patient-view"},
             {"id", kPatientView},
             {"title", "medgen guideline checks"},
             {"description", std::to_string(pv) + " guideline rules checked when a patient's record is opened"},
             {"prefetch", prefetch_templates()}},
            {{"hook", "order-select"},
             {"id", kOrderSelect},
             {"title", "medgen order checks"},
             {"description", std::to_string(os) + " guideline rules checked against selected draft orders"},
             {"prefetch", prefetch_templates()}}}}};
}

std::pair<int, json> handle_hook(const RuleBook& book, const std::string& service_id, const std::string& body) {
  std::string hook;
  if (service_id == kPatientView) hook = "patient-view";
  else if (service_id == kOrderSelect) hook = "order-select";
  else return {404, error("not_found", "no CDS service '" + service_id + "' (see GET /cds-services)")};
  json req;
  try {
    req = json::parse(body);
  } catch (const json::parse_error& e) {
    return {400, error("bad_request", std::string("request body is not JSON: ") + e.what())};
  }
  if (!req.is_object()) return {400, error("bad_request", "request body must be a JSON object")};
  if (req.value("hook", "") != hook)
    return {400, error("bad_request", "service '" + service_id + "' answers hook '" + hook + "', not " +
                                          req.value("hook", json("")).dump())};
  if (!req.contains("hookInstance") || !req["hookInstance"].is_string())
    return {400, error("bad_request", "hookInstance (a string) is required")};
  if (!req.contains("context") || !req["context"].is_object())
    return {400, error("bad_request", "context (an object) is required")};
  const json& ctx = req["context"];
  const std::string patient_id = ctx.value("patientId", json("")).is_string() ? ctx.value("patientId", "") : "";
  if (patient_id.empty()) return {400, error("bad_request", "context.patientId is required")};
  if (!req.contains("prefetch") || !req["prefetch"].is_object())
    return {412, error("prefetch_required",
                       "this service reads the record from prefetch only (no FHIR server calls): send the "
                       "prefetch templates of GET /cds-services")};
  Record rec;
  try {
    for (auto it = req["prefetch"].begin(); it != req["prefetch"].end(); ++it)
      if (!it.value().is_null()) rec.add(it.value(), "prefetch." + it.key());
    if (hook == "order-select") {
      if (!ctx.contains("draftOrders")) return {400, error("bad_request", "order-select needs context.draftOrders")};
      Record drafts;
      drafts.add(ctx["draftOrders"], "context.draftOrders");
      for (auto& [_, list] : drafts.by_type) rec.draft_orders.insert(rec.draft_orders.end(), list.begin(), list.end());
      if (ctx.contains("selections")) {
        if (!ctx["selections"].is_array()) return {400, error("bad_request", "context.selections must be an array")};
        for (const auto& s : ctx["selections"])
          if (s.is_string()) rec.selections.push_back(s);
      }
    }
  } catch (const InvalidInput& e) {
    return {400, error("bad_request", e.what())};
  }
  if (!rec.patient.is_null() && rec.patient.value("id", json("")) != patient_id)
    return {400, error("bad_request", "prefetch Patient is not context.patientId '" + patient_id + "'")};
  rec.settle_time();
  return {200, {{"cards", evaluate(book, rec, hook)}}};
}

void serve(const RuleBook& book, const ServeOptions& options, const std::atomic<bool>* stop,
           const std::function<void(int)>& on_ready) {
  server::HttpOptions ho;
  ho.host = options.host;
  ho.port = options.port;
  ho.threads = options.threads;
  ho.max_small_body_bytes = 32 << 20;  // prefetched records
  // CORS for browser-based EHRs: an allowed Origin is echoed (never a credentialed "*"), and
  // preflight requests (OPTIONS) are answered for the service paths.
  const std::vector<std::string> origins = options.allowed_origins;
  auto cors = [origins](const server::HttpRequest& req, server::HttpResponse& resp) {
    const std::string origin = req.header("origin");
    if (origin.empty() || origins.empty()) return false;
    const bool any = std::find(origins.begin(), origins.end(), "*") != origins.end();
    if (!any && std::find(origins.begin(), origins.end(), origin) == origins.end()) return false;
    resp.headers.push_back({"Access-Control-Allow-Origin", any ? "*" : origin});
    if (!any) resp.headers.push_back({"Vary", "Origin"});
    return true;
  };
  server::Handler inner = [&book](server::HttpRequest& req) {
    server::Reply reply;
    if (req.path == "/cds-services" || req.path == "/cds-services/") {
      if (req.method != "GET") {
        reply.response = server::HttpResponse::error(405, "method_not_allowed", "GET /cds-services");
        return reply;
      }
      reply.response = server::HttpResponse::json(200, discovery(book));
      return reply;
    }
    const std::string prefix = "/cds-services/";
    if (req.path.rfind(prefix, 0) == 0) {
      if (req.method != "POST") {
        reply.response = server::HttpResponse::error(405, "method_not_allowed", "POST /cds-services/{id}");
        return reply;
      }
      auto [status, body] = handle_hook(book, req.path.substr(prefix.size()), req.body);
      reply.response = server::HttpResponse::json(status, body);
      return reply;
    }
    reply.response = server::HttpResponse::error(404, "not_found", "see GET /cds-services");
    return reply;
  };
  server::Handler handler = [&inner, cors](server::HttpRequest& req) {
    if (req.method == "OPTIONS" && req.path.rfind("/cds-services", 0) == 0) {
      server::Reply reply;
      reply.response.status = 204;
      reply.response.content_type.clear();
      if (cors(req, reply.response)) {
        reply.response.headers.push_back({"Access-Control-Allow-Methods", "GET, POST, OPTIONS"});
        reply.response.headers.push_back({"Access-Control-Allow-Headers", "Authorization, Content-Type"});
        reply.response.headers.push_back({"Access-Control-Max-Age", "600"});
      } else {
        reply.response = server::HttpResponse::error(403, "forbidden", "origin not allowed (medgen ops cds serve --allow-origin)");
      }
      return reply;
    }
    server::Reply reply = inner(req);
    cors(req, reply.response);
    return reply;
  };
  server::HttpServer srv(ho, handler, nullptr);
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!stop->load() && !done.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    srv.stop();
  });
  struct Join {
    std::thread& t;
    std::atomic<bool>& done;
    ~Join() {
      done = true;
      t.join();
    }
  } join{watcher, done};
  if (on_ready) on_ready(srv.port());
  srv.run();
}

}  // namespace medgen::ops::cds
