#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <regex>
#include <thread>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/text/docs/answer.h"
#include "medgen/text/docs/render.h"
#include "medgen/text/docs/soap.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace medgen::text::docs;

namespace {

const std::string kSrc = MEDGEN_SOURCE_DIR;
const std::string kFixtures = kSrc + "/tests/text/docs/fixtures";

json bundle() { return json::parse(medgen::read_file(kFixtures + "/bundle.json")); }

const medgen::text::TextModel& model() {
  static const medgen::text::TextModel m = medgen::text::TextModel::load();
  return m;
}

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/medgen-docs-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { fs::remove_all(path); }
};

// A one-shot HTTP server on 127.0.0.1 that answers every request with `body` (a chat-completions reply).
class FakeEndpoint {
 public:
  explicit FakeEndpoint(std::string content) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 4);
    const std::string body = json{{"choices", {{{"message", {{"role", "assistant"}, {"content", content}}}}}}}.dump();
    th_ = std::thread([this, body] {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      // read headers and the body (Content-Length)
      while (true) {
        const ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, n);
        const size_t he = req.find("\r\n\r\n");
        if (he != std::string::npos) {
          std::smatch m;
          std::regex cl("Content-Length: *([0-9]+)", std::regex::icase);
          size_t want = 0;
          if (std::regex_search(req, m, cl)) want = std::stoul(m[1]);
          if (req.size() >= he + 4 + want) break;
        }
      }
      request_ = req;
      const std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      (void)!write(c, resp.data(), resp.size());
      close(c);
    });
  }
  ~FakeEndpoint() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    if (th_.joinable()) th_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1/chat/completions"; }
  const std::string& request() const { return request_; }

 private:
  int fd_ = -1, port_ = 0;
  std::thread th_;
  std::string request_;
};

}  // namespace

TEST(Documents, ModelFromFhirBundle) {
  const json m = document_model(bundle(), "bundle.json");
  EXPECT_EQ(m["patient"]["name"], "Ada Example");
  EXPECT_EQ(m["patient"]["age"], "72");
  EXPECT_EQ(m["conditions"].size(), 2u);
  EXPECT_EQ(m["lab_panels"][0]["date"], "2024-03-05");  // newest first
  EXPECT_EQ(m["lab_panels"][0]["results"][0]["flag"], "H");  // 48 > 5 from the reference range
  EXPECT_EQ(m["allergies"][0]["reaction"], "rash");
  EXPECT_THROW(document_model(json::object(), "x.json"), medgen::InvalidInput);
}

TEST(Documents, EveryShippedKindRendersToHtmlAndPdf) {
  const std::string dir = kSrc + "/data/text/templates";
  const auto kinds = template_kinds(dir);
  ASSERT_EQ(kinds.size(), 3u);
  const json m = document_model(bundle(), "bundle.json");
  for (const std::string& k : kinds) {
    const std::string html = render_template(medgen::read_file(dir + "/" + k + ".html.mustache"), m, k);
    EXPECT_NE(html.find("Ada Example"), std::string::npos) << k;
    EXPECT_EQ(html.find("{{"), std::string::npos) << k;
    const std::string pdf = markup_to_pdf(render_template(medgen::read_file(dir + "/" + k + ".pdf.mustache"), m, k), k);
    EXPECT_EQ(pdf.compare(0, 5, "%PDF-"), 0) << k;
    EXPECT_NE(pdf.find("%%EOF"), std::string::npos) << k;
  }
  // no "Died" section for a living patient, no dangling "to )"
  const std::string ds = render_template(medgen::read_file(dir + "/discharge_summary.html.mustache"), m, "d");
  EXPECT_EQ(ds.find("Died"), std::string::npos);
  EXPECT_EQ(ds.find("to )"), std::string::npos);
}

TEST(Documents, TemplateSyntaxErrorNamesFileAndLine) {
  try {
    render_template("line one\nline two {{#conditions}}\nno close\n", json::object(), "t.mustache");
    FAIL();
  } catch (const medgen::InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("t.mustache:2:"), std::string::npos) << e.what();
  }
}

TEST(Answers, CitedPassagesFromGuidelines) {
  TempDir t;
  const std::string idx = t.path + "/idx";
  const IndexStats s = build_index({kSrc + "/data/sim/guidelines"}, idx);
  EXPECT_GE(s.files, 5u);
  const Answer a = ask(idx, "What dose of IM epinephrine in anaphylaxis?");
  ASSERT_FALSE(a.citations.empty());
  EXPECT_NE(a.citations[0].passage.source.find("anaphylaxis"), std::string::npos);
  ASSERT_FALSE(a.sentences.empty());
  for (const std::string& sentence : a.sentences) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(sentence, m, std::regex(R"( \[([0-9]+)\]$)"))) << sentence;  // every sentence cited
    const int n = std::stoi(m[1]);
    ASSERT_GE(n, 1);
    ASSERT_LE(n, static_cast<int>(a.citations.size()));
    // the sentence is the cited passage's own text
    EXPECT_NE(a.citations[n - 1].passage.text.find(sentence.substr(0, sentence.size() - m[0].length())), std::string::npos);
  }
  // the cited line of the source holds the item
  const std::string src = medgen::read_file(a.citations[0].passage.source);
  size_t line = 1, at = 0;
  while (line < a.citations[0].passage.line) at = src.find('\n', at) + 1, ++line;
  EXPECT_NE(src.substr(at, src.find('\n', at) - at).find("\"id\""), std::string::npos);
}

TEST(Answers, MarkdownAndHtmlPassagesKeepLinesAndHeadings) {
  TempDir t;
  medgen::write_file_atomic(t.path + "/a.md", "# Renal dosing\n\nReduce gabapentin when eGFR is below 60.\n\n## Other\nUnrelated text.\n");
  medgen::write_file_atomic(t.path + "/b.html", "<html><body>\n<h2>Warfarin</h2>\n<p>Check the INR\nweekly.</p><script>x=1</script></body></html>\n");
  const auto md = split_document(t.path + "/a.md", medgen::read_file(t.path + "/a.md"));
  ASSERT_EQ(md.size(), 2u);
  EXPECT_EQ(md[0].line, 3u);
  EXPECT_EQ(md[0].heading, "Renal dosing");
  const auto html = split_document(t.path + "/b.html", medgen::read_file(t.path + "/b.html"));
  ASSERT_EQ(html.size(), 1u);
  EXPECT_EQ(html[0].text, "Check the INR weekly.");
  EXPECT_EQ(html[0].line, 3u);
  EXPECT_EQ(html[0].heading, "Warfarin");
}

TEST(Answers, BadDocumentLeavesNoIndex) {
  TempDir t;
  medgen::write_file_atomic(t.path + "/bad.txt", std::string("ok\n\xff\xfe"));
  EXPECT_THROW(build_index({t.path + "/bad.txt"}, t.path + "/idx"), medgen::InvalidInput);
  EXPECT_FALSE(fs::exists(t.path + "/idx"));
  medgen::write_file_atomic(t.path + "/empty.md", "\n  \n");
  EXPECT_THROW(build_index({t.path + "/empty.md"}, t.path + "/idx"), medgen::InvalidInput);
  EXPECT_THROW(ask(t.path, "anything"), medgen::InvalidInput);  // not an index
}

TEST(Soap, SectionsAndTraceableSpans) {
  const std::string tr = medgen::read_file(kFixtures + "/transcript.txt");
  const SoapDraft d = draft_soap(tr, "transcript.txt", model());
  ASSERT_FALSE(d.sentences.empty());
  bool denies = false, plan_doxy = false, vital = false;
  for (const SoapSentence& s : d.sentences) {
    ASSERT_LT(s.begin, s.end);
    ASSERT_LE(s.end, tr.size());
    const std::string said = tr.substr(s.begin, s.end - s.begin);
    EXPECT_NE(s.text.find(said), std::string::npos) << s.text << " / " << said;  // each sentence quotes its span
    if (s.section == 'S' && s.text.rfind("Denies", 0) == 0 && said.find("chest pain") != std::string::npos) denies = true;
    if (s.section == 'P' && said.find("doxycycline") != std::string::npos) plan_doxy = true;
    if (s.section == 'O' && said.find("104") != std::string::npos) vital = true;
    EXPECT_FALSE(s.section == 'A' && s.line == 3) << "a question is not an assessment: " << s.text;
  }
  EXPECT_TRUE(denies);
  EXPECT_TRUE(plan_doxy);
  EXPECT_TRUE(vital);
  EXPECT_THROW(draft_soap("no labels here\n", "t.txt", model()), medgen::InvalidInput);
}

TEST(Soap, GroundingRejectsWhatTheFactsDoNotSay) {
  const SoapDraft d = draft_soap(medgen::read_file(kFixtures + "/transcript.txt"), "t.txt", model());
  EXPECT_TRUE(check_grounding(d, "No chest pain. She takes metformin 500 mg twice a day. Doxycycline 100 mg twice daily for 7 days.", model()).accepted);
  const GroundingResult dose = check_grounding(d, "Start doxycycline 200 mg twice daily.", model());
  EXPECT_FALSE(dose.accepted);
  const GroundingResult drug = check_grounding(d, "Start azithromycin.", model());
  EXPECT_FALSE(drug.accepted);
  const GroundingResult flip = check_grounding(d, "She reports chest pain.", model());
  EXPECT_FALSE(flip.accepted);
  EXPECT_EQ(flip.text, d.text());  // the draft is kept
}

TEST(Soap, LlmRewriteAgainstAFakeLocalEndpoint) {
  const SoapDraft d = draft_soap(medgen::read_file(kFixtures + "/transcript.txt"), "t.txt", model());
  LlmOptions o;
  o.timeout_s = 10;
  {
    FakeEndpoint ep("Subjective: cough and fever; no chest pain. Plan: doxycycline 100 mg twice daily for 7 days.");
    o.endpoint = ep.url();
    const GroundingResult g = rewrite_with_llm(d, o, model());
    EXPECT_TRUE(g.accepted) << g.to_json().dump();
    EXPECT_NE(ep.request().find("/v1/chat/completions"), std::string::npos);
    EXPECT_NE(ep.request().find("doxycycline"), std::string::npos);  // the facts were sent
  }
  {
    FakeEndpoint ep("Plan: doxycycline 100 mg twice daily for 10 days and ibuprofen 400 mg.");
    o.endpoint = ep.url();
    const GroundingResult g = rewrite_with_llm(d, o, model());
    EXPECT_FALSE(g.accepted);
    EXPECT_GE(g.violations.size(), 2u);
  }
  o.endpoint = "http://127.0.0.1:1/v1/chat/completions";  // nothing listens there
  EXPECT_THROW(rewrite_with_llm(d, o, model()), medgen::IoError);
}
