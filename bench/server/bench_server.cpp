// Load benchmark of `medgen serve` on loopback: starts the server as its own process (as an
// operator would), then measures from this process, bounded in count and time:
//   health  GET /health on C keep-alive connections for T seconds: requests/s, p50/p99
//   sample  a sample job (100 rows from a copula model) submitted and waited for, one at a time
//   sim     S live virtual patients at real time, each with its monitor WebSocket open and one
//           action a second over HTTP: the actions' p50/p99 latency
// Prints one JSON line per case. Usage:
//   bench_server MEDGEN_CLI [--seconds T] [--connections C] [--sessions S] [--threads N]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// One keep-alive connection.
class Conn {
 public:
  explicit Conn(int port) : stream_(ioc_) {
    tcp::resolver r(ioc_);
    stream_.connect(r.resolve("127.0.0.1", std::to_string(port)));
    stream_.socket().set_option(tcp::no_delay(true));
  }
  std::pair<int, std::string> call(http::verb method, const std::string& target, const std::string& body = "",
                                   const std::string& token = "") {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(true);
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(stream_, req);
    http::response<http::string_body> res;
    http::read(stream_, buffer_, res);
    return {res.result_int(), std::move(res.body())};
  }

 private:
  boost::asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))];
}

struct Server {
  pid_t pid = -1;
  int port = 0;
  std::string password;
};

Server start_server(const std::string& cli, const std::string& dir, int threads) {
  int out[2];
  if (pipe(out) != 0) std::exit(1);
  Server s;
  s.pid = fork();
  if (s.pid == 0) {
    dup2(out[1], 1);
    const int devnull = ::open("/dev/null", 1);
    dup2(devnull, 2);
    close(out[0]);
    const std::string t = std::to_string(threads);
    execl(cli.c_str(), cli.c_str(), "serve", "--data-dir", (dir + "/data").c_str(), "--work-dir", (dir + "/work").c_str(),
          "--port", "0", "--threads", t.c_str(), "--max-sim-sessions", "2000", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  char line[4096];
  while ((s.port == 0 || s.password.empty()) && fgets(line, sizeof line, f)) {
    const std::string l = line;
    size_t at = l.find("://127.0.0.1:");
    if (at != std::string::npos) s.port = std::atoi(l.c_str() + at + 13);
    at = l.find("one-time password ");
    if (at != std::string::npos) s.password = l.substr(at + 18, l.find(' ', at + 18) - at - 18);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_server MEDGEN_CLI [--seconds T] [--connections C] [--sessions S] [--threads N]\n");
    return 2;
  }
  const std::string cli = argv[1];
  double seconds = 5;
  int connections = 32, sessions = 100, threads = 2;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (k == "--connections") connections = std::atoi(argv[i + 1]);
    else if (k == "--sessions") sessions = std::atoi(argv[i + 1]);
    else if (k == "--threads") threads = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "bench_server: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (!(seconds > 0 && seconds <= 600) || connections < 1 || connections > 1000 || sessions < 1 || sessions > 1000) {
    std::fprintf(stderr, "bench_server: --seconds (0,600], --connections and --sessions 1..1000\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  char tmpl[] = "/tmp/medgen-bench-server-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const Server srv = start_server(cli, dir, threads);
  if (srv.port == 0 || srv.password.empty()) {
    std::fprintf(stderr, "bench_server: the server did not start\n");
    return 1;
  }
  auto json_of = [](const std::string& s) { return nlohmann::json::parse(s); };
  Conn admin(srv.port);
  const std::string token =
      json_of(admin.call(http::verb::post, "/api/v1/login",
                         nlohmann::json{{"user", "admin"}, {"password", srv.password}}.dump()).second)["token"];

  // health
  {
    std::atomic<bool> stop{false};
    std::vector<std::vector<double>> lat(static_cast<size_t>(connections));
    std::vector<std::thread> ts;
    const auto t0 = Clock::now();
    for (int c = 0; c < connections; ++c)
      ts.emplace_back([&, c] {
        Conn conn(srv.port);
        while (!stop) {
          const auto a = Clock::now();
          if (conn.call(http::verb::get, "/health").first != 200) std::abort();
          lat[static_cast<size_t>(c)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
        }
      });
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& t : ts) t.join();
    const double el = std::chrono::duration<double>(Clock::now() - t0).count();
    std::vector<double> all;
    for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
    std::printf("%s\n", nlohmann::json{{"bench", "server"}, {"case", "health"}, {"connections", connections},
                                       {"server_threads", threads}, {"seconds", el}, {"requests", all.size()},
                                       {"requests_per_s", all.size() / el}, {"p50_ms", percentile(all, 0.5)},
                                       {"p99_ms", percentile(all, 0.99)}}.dump().c_str());
    std::fflush(stdout);
  }

  // Set up: a project where admin is steward (sample), one where a trainee runs patients.
  const int64_t p1 = json_of(admin.call(http::verb::post, "/api/v1/projects", R"({"name":"bench"})", token).second)["id"];
  admin.call(http::verb::put, "/api/v1/projects/" + std::to_string(p1) + "/members/1", R"({"role":"steward"})", token);
  admin.call(http::verb::post, "/api/v1/users", R"({"name":"trainee","password":"trainee-password-1"})", token);
  admin.call(http::verb::put, "/api/v1/projects/" + std::to_string(p1) + "/members/2", R"({"role":"trainee"})", token);
  const std::string ttoken = json_of(admin.call(http::verb::post, "/api/v1/login",
                                                R"({"user":"trainee","password":"trainee-password-1"})").second)["token"];

  // sample: upload pbc, fit a copula, then sample jobs one at a time.
  {
    std::string csv;
    {
      FILE* f = fopen(MEDGEN_SOURCE_DIR "/data/pbc.csv", "rb");
      char b[65536];
      size_t n;
      while (f && (n = fread(b, 1, sizeof b, f)) > 0) csv.append(b, n);
      if (f) fclose(f);
    }
    const std::string base = "/api/v1/projects/" + std::to_string(p1);
    // The upload is text/csv: send it by hand through a fresh connection.
    boost::asio::io_context ioc;
    beast::tcp_stream st(ioc);
    tcp::resolver r(ioc);
    st.connect(r.resolve("127.0.0.1", std::to_string(srv.port)));
    http::request<http::string_body> up{http::verb::post, base + "/datasets?name=pbc", 11};
    up.set(http::field::host, "x");
    up.set(http::field::authorization, "Bearer " + token);
    up.set(http::field::content_type, "text/csv");
    up.body() = csv;
    up.prepare_payload();
    http::write(st, up);
    beast::flat_buffer buf;
    http::response<http::string_body> upr;
    http::read(st, buf, upr);
    const int64_t ds = json_of(upr.body())["id"];
    auto wait = [&](int64_t job) {
      for (;;) {
        const nlohmann::json j = json_of(admin.call(http::verb::get, base + "/jobs/" + std::to_string(job), "", token).second);
        if (j["state"] != "queued" && j["state"] != "running") return j;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    };
    const nlohmann::json fit = wait(json_of(admin.call(http::verb::post, base + "/jobs/fit",
                                                       nlohmann::json{{"dataset", ds}, {"synthesizer", "copula"}}.dump(),
                                                       token).second)["id"]);
    const int64_t model = fit["result"]["model"];
    std::vector<double> lat;
    const auto t0 = Clock::now();
    while (lat.size() < 50 && std::chrono::duration<double>(Clock::now() - t0).count() < seconds * 2) {
      const auto a = Clock::now();
      const nlohmann::json j =
          wait(json_of(admin.call(http::verb::post, base + "/jobs/sample",
                                  nlohmann::json{{"model", model}, {"rows", 100}}.dump(), token).second)["id"]);
      if (j["state"] != "succeeded") std::abort();
      lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
    }
    std::printf("%s\n", nlohmann::json{{"bench", "server"}, {"case", "sample_job_100_rows"}, {"jobs", lat.size()},
                                       {"p50_ms", percentile(lat, 0.5)}, {"p99_ms", percentile(lat, 0.99)}}.dump().c_str());
    std::fflush(stdout);
  }

  // sim: S live sessions at real time, each with its monitor socket and an action a second.
  {
    const std::string base = "/api/v1/projects/" + std::to_string(p1) + "/sim/sessions";
    std::vector<int64_t> ids;
    for (int i = 0; i < sessions; ++i) {
      const auto r = admin.call(http::verb::post, base,
                                nlohmann::json{{"condition", i % 2 ? "septic_shock" : "anaphylaxis"}, {"seed", i}}.dump(),
                                ttoken);
      if (r.first != 201) {
        std::fprintf(stderr, "bench_server: session start: %d %s\n", r.first, r.second.c_str());
        return 1;
      }
      ids.push_back(json_of(r.second)["id"]);
    }
    std::atomic<bool> stop{false};
    std::atomic<int64_t> monitor_msgs{0};
    std::vector<std::vector<double>> lat(ids.size());
    std::vector<std::thread> ts;
    const char* actions[] = {"check vitals", "examine chest", "order lactate", "oxygen 4 l/min", "ask about allergies"};
    for (size_t i = 0; i < ids.size(); ++i) {
      ts.emplace_back([&, i] {  // the monitor
        boost::asio::io_context ioc;
        beast::websocket::stream<beast::tcp_stream> ws(ioc);
        tcp::resolver r(ioc);
        ws.next_layer().connect(r.resolve("127.0.0.1", std::to_string(srv.port)));
        ws.handshake("127.0.0.1", base + "/" + std::to_string(ids[i]) + "/live?token=" + ttoken);
        ws.next_layer().expires_after(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::duration<double>(seconds + 5)));
        while (!stop) {
          beast::flat_buffer b;
          beast::error_code ec;
          ws.read(b, ec);
          if (ec) break;
          monitor_msgs++;
        }
      });
      ts.emplace_back([&, i] {  // the trainee's actions, one a second
        Conn conn(srv.port);
        std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(i * 1000 / ids.size())));
        int k = 0;
        auto next = Clock::now();
        while (!stop) {
          const auto a = Clock::now();
          const auto r = conn.call(http::verb::post, base + "/" + std::to_string(ids[i]) + "/actions",
                                   nlohmann::json{{"text", actions[k++ % 5]}}.dump(), ttoken);
          if (r.first != 200) std::abort();
          lat[i].push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
          next += std::chrono::seconds(1);
          std::this_thread::sleep_until(next);
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(std::max(seconds, 10.0)));
    stop = true;
    for (size_t i = 1; i < ts.size(); i += 2) ts[i].join();
    for (int64_t id : ids) admin.call(http::verb::post, base + "/" + std::to_string(id) + "/end", "", ttoken);
    for (size_t i = 0; i < ts.size(); i += 2) ts[i].join();
    std::vector<double> all;
    for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
    std::printf("%s\n", nlohmann::json{{"bench", "server"}, {"case", "sim_action"}, {"live_sessions", ids.size()},
                                       {"actions", all.size()}, {"monitor_messages", monitor_msgs.load()},
                                       {"p50_ms", percentile(all, 0.5)}, {"p99_ms", percentile(all, 0.99)}}.dump().c_str());
  }
  kill(srv.pid, SIGTERM);
  int status = 0;
  waitpid(srv.pid, &status, 0);
  std::string rm = "rm -rf '" + dir + "'";
  return std::system(rm.c_str()) == 0 ? 0 : 1;
}
