// Passages, the Xapian index, and cited answers.
#include "medgen/text/docs/answer.h"

#include <xapian.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>
#include <unistd.h>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/text/utf8.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace medgen::text::docs {

namespace {

constexpr const char* kIndexMarker = "medgen-text-index";

std::string lower_ext(const std::string& p) {
  std::string e = fs::path(p).extension().string();
  for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

std::string squeeze(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      out += c;
      space = false;
    }
  }
  return out;
}

// HTML to text with the same line breaks: tags become spaces, block tags a paragraph mark
// ('\x01'), script and style bodies are dropped, a few entities decoded.
std::string html_text(const std::string& h) {
  std::string out;
  out.reserve(h.size());
  size_t i = 0;
  auto skip_to = [&](const char* close) {
    const size_t e = h.find(close, i);
    for (size_t k = i; k < (e == std::string::npos ? h.size() : e); ++k)
      if (h[k] == '\n') out += '\n';
    i = e == std::string::npos ? h.size() : e + std::strlen(close);
  };
  while (i < h.size()) {
    if (h[i] == '<') {
      size_t e = h.find('>', i);
      if (e == std::string::npos) e = h.size() - 1;
      std::string tag = h.substr(i + 1, e - i - 1);
      for (char& c : tag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      for (size_t k = i; k <= e && k < h.size(); ++k)
        if (h[k] == '\n') out += '\n';
      i = e + 1;
      if (tag.rfind("script", 0) == 0) {
        skip_to("</script>");
        continue;
      }
      if (tag.rfind("style", 0) == 0) {
        skip_to("</style>");
        continue;
      }
      std::string name = tag;
      if (!name.empty() && name[0] == '/') name.erase(0, 1);
      name = name.substr(0, name.find_first_of(" \t\n/"));
      static const std::set<std::string> blocks = {"p", "div", "li", "br", "tr", "td", "th", "h1", "h2", "h3", "h4",
                                                   "h5", "h6", "section", "article", "ul", "ol", "table", "title",
                                                   "blockquote", "pre", "header", "footer", "dt", "dd"};
      if (blocks.count(name)) {
        out += '\x01';
        if (name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && tag[0] != '/') out += '\x02';
      } else {
        out += ' ';
      }
      continue;
    }
    if (h[i] == '&') {
      static const std::pair<const char*, const char*> ents[] = {{"&amp;", "&"},  {"&lt;", "<"},  {"&gt;", ">"},
                                                                 {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", " "}};
      bool done = false;
      for (const auto& [e, c] : ents)
        if (h.compare(i, std::strlen(e), e) == 0) {
          out += c;
          i += std::strlen(e);
          done = true;
          break;
        }
      if (done) continue;
    }
    out += h[i++];
  }
  return out;
}

// Paragraphs (blank lines or '\x01' marks); Markdown/HTML headings set the heading.
std::vector<Passage> paragraphs(const std::string& path, const std::string& text, bool markdown) {
  std::vector<Passage> out;
  std::string heading, para;
  size_t line = 1, para_line = 0;
  bool next_is_heading = false;
  auto flush = [&] {
    std::string t = squeeze(para);
    if (!t.empty()) {
      if (next_is_heading) {
        heading = t;
      } else {
        out.push_back({path, para_line, heading, t});
      }
    }
    para.clear();
    next_is_heading = false;
  };
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) {
    // split on paragraph marks inside the line
    size_t start = 0;
    for (size_t k = 0; k <= l.size(); ++k) {
      if (k == l.size() || l[k] == '\x01') {
        std::string piece = l.substr(start, k - start);
        bool heading_mark = false;
        if (!piece.empty() && piece[0] == '\x02') {
          heading_mark = true;
          piece.erase(0, 1);
        }
        std::string trimmed = squeeze(piece);
        if (markdown && !trimmed.empty() && trimmed[0] == '#') {
          flush();
          heading = squeeze(trimmed.substr(trimmed.find_first_not_of('#')));
        } else if (!trimmed.empty()) {
          if (para.empty()) para_line = line;
          para += " " + trimmed;
        }
        if (k < l.size()) {
          flush();
          if (k + 1 < l.size() && l[k + 1] == '\x02') next_is_heading = true;
        } else if (heading_mark) {
          next_is_heading = true;
        }
        start = k + 1;
      }
    }
    if (squeeze(l).empty()) flush();
    ++line;
  }
  flush();
  return out;
}

std::vector<std::string> sentences_of(const std::string& t) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < t.size(); ++i) {
    cur += t[i];
    if ((t[i] == '.' || t[i] == '?' || t[i] == '!' || t[i] == ';') && (i + 1 == t.size() || t[i + 1] == ' ')) {
      // not after a one-letter abbreviation or a number with a decimal point
      const bool abbrev = cur.size() >= 3 && cur[cur.size() - 3] == ' ' && std::isalpha((unsigned char)cur[cur.size() - 2]);
      if (!abbrev) {
        std::string s = squeeze(cur);
        if (!s.empty()) out.push_back(s);
        cur.clear();
      }
    }
  }
  if (!squeeze(cur).empty()) out.push_back(squeeze(cur));
  return out;
}

std::vector<std::string> collect_files(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  static const std::set<std::string> exts = {".json", ".md", ".markdown", ".txt", ".html", ".htm"};
  for (const std::string& in : inputs) {
    if (fs::is_directory(in)) {
      std::vector<std::string> found;
      for (const auto& e : fs::recursive_directory_iterator(in))
        if (e.is_regular_file() && exts.count(lower_ext(e.path().string()))) found.push_back(e.path().string());
      std::sort(found.begin(), found.end());
      if (found.empty()) throw InvalidInput(in + ": no .json, .md, .txt or .html files in this folder");
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(in)) {
      files.push_back(in);
    } else {
      throw IoError(in + ": no such file or folder");
    }
  }
  return files;
}

Xapian::Stem stemmer() { return Xapian::Stem("english"); }

Xapian::SimpleStopper& stopper() {
  static Xapian::SimpleStopper* s = [] {
    auto* st = new Xapian::SimpleStopper;  // lives for the process (Stopper cannot be copied)
    for (const char* w : {"a", "an", "and", "are", "as", "at", "be", "by", "do", "does", "for", "from", "how", "i", "in",
                          "is", "it", "of", "on", "or", "should", "that", "the", "this", "to", "what", "when", "which",
                          "who", "with", "give", "much", "many", "my", "we", "you", "can"})
      st->add(w);
    return st;
  }();
  return *s;
}

}  // namespace

std::vector<Passage> split_document(const std::string& path, const std::string& content) {
  require_utf8(content, path);
  if (squeeze(content).empty()) throw InvalidInput(path + ": empty document");
  const std::string ext = lower_ext(path);
  if (ext == ".json") {
    json j;
    try {
      j = json::parse(content);
    } catch (const json::parse_error& e) {
      size_t line = 1, col = 1;
      for (size_t i = 0; i < std::min(e.byte, content.size()) && i + 1 < e.byte; ++i) {
        if (content[i] == '\n') ++line, col = 1;
        else ++col;
      }
      throw InvalidInput(located(path, line, col, "invalid JSON"));
    }
    if (!j.is_object() || !j.contains("items") || !j["items"].is_array())
      throw InvalidInput(path + ": not a guideline file (want an object with \"items\": [...])");
    const std::string title = j.value("title", j.value("name", fs::path(path).stem().string()));
    std::vector<Passage> out;
    auto line_of = [&](const std::string& needle) -> size_t {
      const size_t at = content.find(needle);
      if (at == std::string::npos) return 1;
      return 1 + std::count(content.begin(), content.begin() + at, '\n');
    };
    std::string sources;
    if (j.contains("sources") && j["sources"].is_array())
      for (const json& s : j["sources"])
        if (s.is_string()) sources += (sources.empty() ? "" : " ") + s.get<std::string>();
    if (!sources.empty()) out.push_back({path, line_of("\"sources\""), title, title + ". Source: " + sources});
    for (const json& it : j["items"]) {
      if (!it.is_object() || !it.contains("text") || !it["text"].is_string()) continue;
      std::string t = it["text"].get<std::string>();
      if (!t.empty() && t.back() != '.') t += '.';
      const std::string kind = it.value("kind", "");
      if (kind == "avoid" || kind == "dont") t = "Avoid: " + t;
      if (it.contains("within_min") && it["within_min"].is_number())
        t += " Target: within " + it["within_min"].dump() + " min.";
      const std::string id = it.value("id", "");
      out.push_back({path, id.empty() ? line_of(it["text"].get<std::string>()) : line_of("\"" + id + "\""), title, t});
    }
    return out;
  }
  if (ext == ".html" || ext == ".htm") return paragraphs(path, html_text(content), false);
  return paragraphs(path, content, ext == ".md" || ext == ".markdown");
}

IndexStats build_index(const std::vector<std::string>& inputs, const std::string& dir) {
  if (inputs.empty()) throw InvalidInput("text index: no documents given");
  const std::vector<std::string> files = collect_files(inputs);
  std::vector<Passage> all;
  IndexStats st;
  for (const std::string& f : files) {
    std::vector<Passage> p = split_document(f, read_file(f, uint64_t{512} << 20));
    if (p.empty()) throw InvalidInput(f + ": no passage of text in this document");
    for (auto& x : p) all.push_back(std::move(x));
    ++st.files;
  }
  st.passages = all.size();
  const fs::path target = fs::absolute(dir);
  if (fs::exists(target) && !fs::is_directory(target)) throw IoError(dir + ": exists and is not a folder");
  if (fs::is_directory(target) && !fs::is_empty(target) && !fs::exists(target / kIndexMarker))
    throw IoError(dir + ": folder exists and is not a medgen text index (refusing to replace it)");
  if (!fs::is_directory(target.parent_path())) throw IoError(dir + ": parent folder not found");
  const std::string tmp = target.string() + ".tmp-" + std::to_string(getpid());
  TempPathGuard guard(tmp);
  try {
    fs::remove_all(tmp);
    {
      Xapian::WritableDatabase db(tmp, Xapian::DB_CREATE_OR_OVERWRITE);
      Xapian::TermGenerator tg;
      tg.set_stemmer(stemmer());
      tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
      for (const Passage& p : all) {
        Xapian::Document doc;
        tg.set_document(doc);
        tg.index_text(p.text);
        tg.increase_termpos();
        tg.index_text(p.heading, 1);
        doc.set_data(json{{"source", p.source}, {"line", p.line}, {"heading", p.heading}, {"text", p.text}}.dump());
        db.add_document(doc);
      }
      db.set_metadata("format", kIndexMarker);
      db.commit();
    }
    write_file_atomic((fs::path(tmp) / kIndexMarker).string(), "medgen text index, format 1\n");
    if (fs::exists(target)) fs::remove_all(target);
    fs::rename(tmp, target);
  } catch (const Xapian::Error& e) {
    fs::remove_all(tmp);
    throw IoError(dir + ": Xapian: " + e.get_msg());
  } catch (...) {
    fs::remove_all(tmp);
    throw;
  }
  guard.release();
  return st;
}

Answer ask(const std::string& dir, const std::string& question, int max_passages) {
  if (!fs::exists(fs::path(dir) / kIndexMarker)) throw InvalidInput(dir + ": not a medgen text index (build one with 'medgen text index')");
  require_utf8(question, "question");
  if (squeeze(question).empty()) throw InvalidInput("text ask: empty question");
  if (max_passages < 1 || max_passages > 50) throw InvalidInput("--passages must be between 1 and 50");
  Answer a;
  a.question = question;
  std::vector<std::string> qterms;
  try {
    Xapian::Database db(dir);
    Xapian::QueryParser qp;
    qp.set_stemmer(stemmer());
    qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    qp.set_stopper(&stopper());
    qp.set_default_op(Xapian::Query::OP_OR);
    const Xapian::Query q = qp.parse_query(question, Xapian::QueryParser::FLAG_PHRASE | Xapian::QueryParser::FLAG_LOVEHATE);
    for (auto t = q.get_unique_terms_begin(); t != q.get_unique_terms_end(); ++t) qterms.push_back(*t);
    Xapian::Enquire enq(db);
    enq.set_query(q);
    const Xapian::MSet m = enq.get_mset(0, max_passages);
    int n = 0;
    for (auto it = m.begin(); it != m.end(); ++it) {
      const json d = json::parse(it.get_document().get_data());
      Citation c;
      c.n = ++n;
      c.score = it.get_weight();
      c.passage = {d["source"], d["line"], d["heading"], d["text"]};
      a.citations.push_back(c);
    }
  } catch (const Xapian::Error& e) {
    throw InvalidInput(dir + ": Xapian: " + e.get_msg());
  }
  // sentences sharing the most (stemmed) query terms; ties keep rank order
  const Xapian::Stem st = stemmer();
  struct Cand {
    int score, cite;
    size_t order;
    std::string s;
  };
  std::vector<Cand> cands;
  size_t order = 0;
  for (const Citation& c : a.citations) {
    for (const std::string& s : sentences_of(c.passage.text)) {
      std::set<std::string> stems;
      std::string w;
      for (size_t i = 0; i <= s.size(); ++i) {
        const char ch = i < s.size() ? s[i] : ' ';
        if (std::isalnum(static_cast<unsigned char>(ch))) {
          w += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        } else if (!w.empty()) {
          stems.insert("Z" + st(w));
          stems.insert(w);
          w.clear();
        }
      }
      int score = 0;
      for (const std::string& t : qterms) score += stems.count(t) ? 1 : 0;
      if (score > 0) cands.push_back({score, c.n, order, s});
      ++order;
    }
  }
  std::stable_sort(cands.begin(), cands.end(), [](const Cand& x, const Cand& y) {
    return x.score != y.score ? x.score > y.score : x.order < y.order;
  });
  for (size_t i = 0; i < cands.size() && i < 3; ++i) a.sentences.push_back(cands[i].s + " [" + std::to_string(cands[i].cite) + "]");
  if (a.sentences.empty())
    for (const Citation& c : a.citations) {  // no sentence shares a term: the passages' first sentences
      const auto ss = sentences_of(c.passage.text);
      if (!ss.empty()) a.sentences.push_back(ss[0] + " [" + std::to_string(c.n) + "]");
    }
  return a;
}

std::string Answer::text() const {
  if (citations.empty()) return "No passage in the index matches this question.\n";
  std::string out;
  for (const std::string& s : sentences) out += s + "\n";
  out += "\n";
  for (const Citation& c : citations)
    out += "[" + std::to_string(c.n) + "] " + c.passage.source + ":" + std::to_string(c.passage.line) +
           (c.passage.heading.empty() ? "" : " (" + c.passage.heading + ")") + "\n";
  return out;
}

json Answer::to_json() const {
  json cites = json::array();
  for (const Citation& c : citations)
    cites.push_back({{"n", c.n}, {"source", c.passage.source}, {"line", c.passage.line}, {"heading", c.passage.heading},
                     {"text", c.passage.text}, {"score", c.score}});
  return {{"question", question}, {"answer", sentences}, {"citations", cites}};
}

}  // namespace medgen::text::docs
