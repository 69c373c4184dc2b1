// Decision support: rules on records (evidence, absence, time windows, refuted conditions),
// order-select drafts, malformed rule files, and the CDS Hooks service end to end over HTTP.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "medgen/core/error.h"
#include "medgen/ops/cds/cds.h"

using namespace medgen;
using namespace medgen::ops::cds;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const RuleBook& book() {
  static const RuleBook b = RuleBook::load(std::string(MEDGEN_SOURCE_DIR) + "/data/ops/cds",
                                           std::string(MEDGEN_SOURCE_DIR) + "/data/sim/guidelines");
  return b;
}

json condition(const std::string& id, const std::string& system, const std::string& code, const std::string& status = "active") {
  return {{"resourceType", "Condition"},
          {"id", id},
          {"clinicalStatus", {{"coding", {{{"code", status}}}}}},
          {"code", {{"coding", {{{"system", system}, {"code", code}, {"display", "test condition"}}}}}},
          {"subject", {{"reference", "Patient/p1"}}},
          {"recordedDate", "2024-05-01T08:00:00Z"}};
}

json observation(const std::string& id, const std::string& loinc, double value, const std::string& unit,
                 const std::string& when) {
  return {{"resourceType", "Observation"},
          {"id", id},
          {"status", "final"},
          {"code", {{"coding", {{{"system", "http://loinc.org"}, {"code", loinc}}}}}},
          {"effectiveDateTime", when},
          {"valueQuantity", {{"value", value}, {"unit", unit}}}};
}

json med(const std::string& id, const std::string& rxnorm, const std::string& when, const std::string& status = "active") {
  return {{"resourceType", "MedicationRequest"},
          {"id", id},
          {"status", status},
          {"intent", "order"},
          {"medicationCodeableConcept",
           {{"coding", {{{"system", "http://www.nlm.nih.gov/research/umls/rxnorm"}, {"code", rxnorm}}}}}},
          {"authoredOn", when}};
}

json bundle(const std::vector<json>& resources) {
  json b = {{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", json::array()}};
  b["entry"].push_back({{"resource", {{"resourceType", "Patient"}, {"id", "p1"}, {"birthDate", "1950-02-03"}}}});
  for (const auto& r : resources) b["entry"].push_back({{"resource", r}});
  return b;
}

std::set<std::string> fired(const json& cards) {
  std::set<std::string> s;
  for (const auto& c : cards) s.insert(c["source"]["topic"]["code"].get<std::string>());
  return s;
}

json eval(const json& record, const std::string& hook, const std::vector<json>& drafts = {}) {
  Record r;
  r.add(record, "test");
  r.draft_orders = drafts;
  r.settle_time();
  return evaluate(book(), r, hook);
}

}  // namespace

TEST(Cds, SepsisRulesFireOnEvidenceAndAbsence) {
  const std::string sct = "http://snomed.info/sct";
  const json rec = bundle({condition("c1", sct, "91302008"),
                           observation("o1", "2524-7", 4.6, "mmol/L", "2024-05-01T09:00:00Z")});
  const json cards = eval(rec, "patient-view");
  const auto ids = fired(cards);
  EXPECT_TRUE(ids.count("sepsis-antibiotics"));
  EXPECT_TRUE(ids.count("sepsis-fluids"));
  EXPECT_FALSE(ids.count("sepsis-lactate"));  // a lactate is in the record
  for (const auto& c : cards) {
    EXPECT_LE(c["summary"].get<std::string>().size(), 140u);
    EXPECT_TRUE(c["indicator"] == "info" || c["indicator"] == "warning" || c["indicator"] == "critical");
    EXPECT_FALSE(c["source"]["label"].get<std::string>().empty());
    const std::string d = c["detail"];
    EXPECT_TRUE(d.find("Condition/c1") != std::string::npos || d.find("Observation/o1") != std::string::npos) << d;
    EXPECT_NE(d.find("Surviving Sepsis"), std::string::npos) << d;     // source guideline
    EXPECT_NE(d.find(c["source"]["topic"]["code"].get<std::string>()), std::string::npos);  // rule
  }
  // An antibiotic ordered within 24 h silences that rule; an old one does not.
  auto with_abx = rec;
  with_abx["entry"].push_back({{"resource", med("m1", "2193", "2024-05-01T08:30:00Z")}});
  EXPECT_FALSE(fired(eval(with_abx, "patient-view")).count("sepsis-antibiotics"));
  auto old_abx = rec;
  old_abx["entry"].push_back({{"resource", med("m1", "2193", "2024-04-20T08:30:00Z")}});
  EXPECT_TRUE(fired(eval(old_abx, "patient-view")).count("sepsis-antibiotics"));
  auto cancelled = rec;
  cancelled["entry"].push_back({{"resource", med("m1", "2193", "2024-05-01T08:30:00Z", "cancelled")}});
  EXPECT_TRUE(fired(eval(cancelled, "patient-view")).count("sepsis-antibiotics"));
  // A resolved or refuted sepsis fires nothing; ICD-10 codes match by prefix.
  EXPECT_TRUE(fired(eval(bundle({condition("c1", sct, "91302008", "resolved")}), "patient-view")).empty());
  EXPECT_TRUE(fired(eval(bundle({condition("c2", "http://hl7.org/fhir/sid/icd-10-cm", "A41.9")}), "patient-view"))
                  .count("sepsis-lactate"));
  // Lactate below 4: no fluids card; wrong unit: not taken as evidence.
  EXPECT_FALSE(fired(eval(bundle({condition("c1", sct, "91302008"),
                                  observation("o1", "2524-7", 2.1, "mmol/L", "2024-05-01T09:00:00Z")}),
                          "patient-view"))
                   .count("sepsis-fluids"));
  EXPECT_FALSE(fired(eval(bundle({condition("c1", sct, "91302008"),
                                  observation("o1", "2524-7", 41, "mg/dL", "2024-05-01T09:00:00Z")}),
                          "patient-view"))
                   .count("sepsis-fluids"));
}

TEST(Cds, OrderSelectChecksDraftsAgainstTheLatestValue) {
  const json insulin = med("draft1", "253182", "2024-05-01T10:00:00Z", "draft");
  const json low = bundle({observation("k1", "2823-3", 4.4, "mmol/L", "2024-05-01T06:00:00Z"),
                           observation("k2", "2823-3", 3.1, "mmol/L", "2024-05-01T09:00:00Z")});
  const json cards = eval(low, "order-select", {insulin});
  ASSERT_TRUE(fired(cards).count("insulin-low-potassium"));
  for (const auto& c : cards)
    if (c["source"]["topic"]["code"] == "insulin-low-potassium") {
      EXPECT_EQ(c["indicator"], "critical");
      EXPECT_NE(c["detail"].get<std::string>().find("Observation/k2"), std::string::npos);
    }
  const json ok = bundle({observation("k1", "2823-3", 3.1, "mmol/L", "2024-05-01T06:00:00Z"),
                          observation("k2", "2823-3", 4.2, "mmol/L", "2024-05-01T09:00:00Z")});
  EXPECT_FALSE(fired(eval(ok, "order-select", {insulin})).count("insulin-low-potassium"));
  // No draft order: nothing for order-select; patient-view rules never fire on order-select.
  EXPECT_TRUE(fired(eval(low, "order-select")).empty());
}

TEST(Cds, MalformedRuleFilesAndRecordsAreRefused) {
  const fs::path dir = fs::path(testing::TempDir()) / ("cds_rules_" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto write = [&](const std::string& text) {
    std::ofstream(dir / "r.json") << text;
  };
  const std::string g = std::string(MEDGEN_SOURCE_DIR) + "/data/sim/guidelines";
  write(R"({"format":"medgen-cds-rules","rules":[{"id":"x","summary":"s","indicator":"warning","hooks":["patient-view"],
    "guideline":"sepsis_hour1","item":"no_such_item","when":[{"resource":"Condition","codes":[{"code":"1"}]}]}]})");
  EXPECT_THROW(RuleBook::load(dir.string(), g), InvalidInput);
  write(R"({"format":"medgen-cds-rules","rules":[{"id":"x","summary":"s","indicator":"loud","hooks":["patient-view"],
    "guideline":"sepsis_hour1","item":"lactate","when":[{"resource":"Condition","codes":[{"code":"1"}]}]}]})");
  EXPECT_THROW(RuleBook::load(dir.string(), g), InvalidInput);
  write(R"({"format":"medgen-cds-rules","rules":[{"id":"x","summary":"s","indicator":"info","hooks":["patient-view"],
    "guideline":"../../etc/passwd","item":"lactate","when":[{"resource":"Condition","codes":[{"code":"1"}]}]}]})");
  EXPECT_THROW(RuleBook::load(dir.string(), g), InvalidInput);
  write("{not json");
  EXPECT_THROW(RuleBook::load(dir.string(), g), InvalidInput);
  fs::remove_all(dir);
  Record r;
  EXPECT_THROW(r.add(json{{"resourceType", "Bundle"}, {"entry", 3}}, "b.json"), InvalidInput);
  EXPECT_THROW(r.add(json::array(), "b.json"), InvalidInput);
  EXPECT_THROW(evaluate(book(), r, "encounter-start"), InvalidInput);
}

namespace {

// One HTTP/1.1 exchange over a plain socket (Connection: close): the whole response as sent,
// "" when the connection fails. `headers`: extra header lines, each ending in CRLF.
std::string exchange(int port, const std::string& method, const std::string& path, const std::string& headers,
                     const std::string& body) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return "";
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers;
  if (!body.empty()) req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  size_t sent = 0;
  while (sent < req.size()) {
    const ssize_t n = send(fd, req.data() + sent, req.size() - sent, 0);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string resp;
  char buf[8192];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  return resp;
}

// Status and (de-chunked) body of one request.
std::pair<int, std::string> http(int port, const std::string& method, const std::string& path, const std::string& body) {
  const std::string resp = exchange(port, method, path, "", body);
  const size_t sp = resp.find(' ');
  const size_t hdr_end = resp.find("\r\n\r\n");
  if (sp == std::string::npos || hdr_end == std::string::npos) return {-1, resp};
  std::string b = resp.substr(hdr_end + 4);
  // Chunked bodies are de-chunked (Beast may send either).
  if (resp.substr(0, hdr_end).find("chunked") != std::string::npos) {
    std::string out;
    size_t at = 0;
    while (at < b.size()) {
      const size_t eol = b.find("\r\n", at);
      const size_t len = std::stoul(b.substr(at, eol - at), nullptr, 16);
      if (len == 0) break;
      out += b.substr(eol + 2, len);
      at = eol + 2 + len + 2;
    }
    b = out;
  }
  return {std::stoi(resp.substr(sp + 1, 3)), b};
}

// The status line and headers of the response to a request with extra header lines.
std::string http_raw(int port, const std::string& method, const std::string& path, const std::string& headers) {
  const std::string resp = exchange(port, method, path, headers, "");
  return resp.substr(0, resp.find("\r\n\r\n"));
}

}  // namespace

TEST(CdsService, CorsOnlyForAllowedOrigins) {
  std::atomic<bool> stop{false};
  std::promise<int> ready;
  std::thread server([&] {
    ServeOptions o;
    o.port = 0;
    o.threads = 1;
    o.allowed_origins = {"https://ehr.example.org"};
    serve(book(), o, &stop, [&](int port) { ready.set_value(port); });
  });
  auto fut = ready.get_future();
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  const int port = fut.get();
  // Preflight from the allowed origin: 204 with the methods and headers a CDS client sends.
  std::string h = http_raw(port, "OPTIONS", "/cds-services/medgen-guidelines-patient-view",
                           "Origin: https://ehr.example.org\r\nAccess-Control-Request-Method: POST\r\n");
  EXPECT_NE(h.find(" 204 "), std::string::npos) << h;
  EXPECT_NE(h.find("Access-Control-Allow-Origin: https://ehr.example.org"), std::string::npos) << h;
  EXPECT_NE(h.find("Access-Control-Allow-Headers: Authorization, Content-Type"), std::string::npos) << h;
  // A plain GET from it carries the header; from another origin it does not, and that origin's
  // preflight is refused.
  h = http_raw(port, "GET", "/cds-services", "Origin: https://ehr.example.org\r\n");
  EXPECT_NE(h.find(" 200 "), std::string::npos) << h;
  EXPECT_NE(h.find("Access-Control-Allow-Origin: https://ehr.example.org"), std::string::npos) << h;
  h = http_raw(port, "GET", "/cds-services", "Origin: https://evil.example.com\r\n");
  EXPECT_NE(h.find(" 200 "), std::string::npos) << h;
  EXPECT_EQ(h.find("Access-Control-Allow-Origin"), std::string::npos) << h;
  h = http_raw(port, "OPTIONS", "/cds-services", "Origin: https://evil.example.com\r\nAccess-Control-Request-Method: GET\r\n");
  EXPECT_NE(h.find(" 403 "), std::string::npos) << h;
  EXPECT_EQ(h.find("Access-Control-Allow-Origin"), std::string::npos) << h;
  stop = true;
  server.join();
}

TEST(CdsService, DiscoveryAndHooksOverHttp) {
  std::atomic<bool> stop{false};
  std::promise<int> ready;
  std::thread server([&] {
    ServeOptions o;
    o.port = 0;
    o.threads = 1;
    serve(book(), o, &stop, [&](int port) { ready.set_value(port); });
  });
  auto fut = ready.get_future();
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  const int port = fut.get();

  auto [st, body] = http(port, "GET", "/cds-services", "");
  ASSERT_EQ(st, 200) << body;
  const json disc = json::parse(body);
  ASSERT_EQ(disc["services"].size(), 2u);
  std::string pv, os;
  for (const auto& s : disc["services"]) {
    EXPECT_TRUE(s.contains("prefetch"));
    (s["hook"] == "patient-view" ? pv : os) = s["id"];
  }
  ASSERT_FALSE(pv.empty());
  ASSERT_FALSE(os.empty());

  const json patient = {{"resourceType", "Patient"}, {"id", "p1"}, {"birthDate", "1950-02-03"}};
  json conditions = {{"resourceType", "Bundle"}, {"type", "searchset"}, {"entry", json::array()}};
  conditions["entry"].push_back({{"resource", condition("c1", "http://hl7.org/fhir/sid/icd-10-cm", "J45.909")}});
  conditions["entry"].push_back({{"resource", condition("c2", "http://snomed.info/sct", "91302008")}});
  const json request = {{"hookInstance", "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"},
                        {"hook", "patient-view"},
                        {"context", {{"userId", "Practitioner/1"}, {"patientId", "p1"}}},
                        {"prefetch", {{"patient", patient}, {"conditions", conditions}}}};
  std::tie(st, body) = http(port, "POST", "/cds-services/" + pv, request.dump());
  ASSERT_EQ(st, 200) << body;
  const auto cards = json::parse(body)["cards"];
  EXPECT_TRUE(fired(cards).count("sepsis-antibiotics")) << body;

  json order = request;
  order["hook"] = "order-select";
  order["context"]["selections"] = {"MedicationRequest/d1"};
  order["context"]["draftOrders"] = {{"resourceType", "Bundle"},
                                     {"entry", {{{"resource", med("d1", "7052", "2024-05-01T10:00:00Z", "draft")}}}}};
  std::tie(st, body) = http(port, "POST", "/cds-services/" + os, order.dump());
  ASSERT_EQ(st, 200) << body;
  EXPECT_TRUE(fired(json::parse(body)["cards"]).count("asthma-sedation")) << body;

  // Errors: wrong hook for the service, unknown service, bad JSON, missing prefetch.
  EXPECT_EQ(http(port, "POST", "/cds-services/" + os, request.dump()).first, 400);
  EXPECT_EQ(http(port, "POST", "/cds-services/nope", request.dump()).first, 404);
  EXPECT_EQ(http(port, "POST", "/cds-services/" + pv, "{oops").first, 400);
  json no_prefetch = request;
  no_prefetch.erase("prefetch");
  EXPECT_EQ(http(port, "POST", "/cds-services/" + pv, no_prefetch.dump()).first, 412);
  json other_patient = request;
  other_patient["context"]["patientId"] = "p2";
  EXPECT_EQ(http(port, "POST", "/cds-services/" + pv, other_patient.dump()).first, 400);

  stop = true;
  server.join();
}
