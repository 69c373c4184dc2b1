// A small HTTP and WebSocket client (Boost.Beast, synchronous) and a server started in the test
// process on a random loopback port, for the API tests.
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "medgen/server/api.h"
#include "medgen/server/http.h"

namespace medgen::server::testing {

struct Resp {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

inline Resp http_call(int port, const std::string& method, const std::string& target, const std::string& body = "",
                      const std::string& token = "", const std::string& content_type = "application/json") {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  stream.connect(resolver.resolve("127.0.0.1", std::to_string(port)));
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) req.set(http::field::content_type, content_type);
  req.body() = body;
  req.prepare_payload();
  beast::error_code write_ec;  // a server refusing a large body may close before reading it all
  http::write(stream, req, write_ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(uint64_t{1} << 30);
  http::read(stream, buffer, parser);
  Resp r;
  r.status = parser.get().result_int();
  r.body = parser.get().body();
  for (const auto& f : parser.get()) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(f.value());
  }
  beast::error_code ec;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  return r;
}

// Polls GET .../jobs/{job} until the job leaves "queued"/"running" (at most `seconds`).
inline nlohmann::json wait_job(int port, int64_t project, int64_t job, const std::string& token, int seconds) {
  nlohmann::json j;
  const std::string target = "/api/v1/projects/" + std::to_string(project) + "/jobs/" + std::to_string(job);
  for (int i = 0; i < seconds * 10; ++i) {
    j = http_call(port, "GET", target, "", token).json();
    const std::string st = j.value("state", "");
    if (st != "queued" && st != "running") return j;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return j;
}

// A WebSocket client: connect, send text, read text messages.
class WsClient {
 public:
  WsClient(int port, const std::string& target) : resolver_(ioc_), ws_(ioc_) {
    ws_.next_layer().connect(resolver_.resolve("127.0.0.1", std::to_string(port)));
    ws_.handshake("127.0.0.1", target);
  }
  void send(const std::string& text) { ws_.write(boost::asio::buffer(text)); }
  // The next message, or "" when the server closed the connection.
  std::string read() {
    boost::beast::flat_buffer b;
    boost::beast::error_code ec;
    ws_.read(b, ec);
    if (ec) return "";
    return boost::beast::buffers_to_string(b.data());
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
};

// Api + HttpServer on 127.0.0.1:<free port>, serving on a background thread.
class TestServer {
 public:
  explicit TestServer(ServerConfig cfg) {
    cfg.http.host = "127.0.0.1";
    cfg.http.port = 0;
    cfg.http.threads = 2;
    cfg.http.large_body = Api::accepts_large_body;
    api_ = std::make_unique<Api>(cfg);
    server_ = std::make_unique<HttpServer>(cfg.http, [this](HttpRequest& r) { return api_->handle(r); }, nullptr);
    api_->set_http_counters(&server_->counters());
    thread_ = std::thread([this] { server_->run(); });
  }
  ~TestServer() {
    api_->shutdown();
    server_->stop();
    thread_.join();
  }
  int port() const { return server_->port(); }
  Api& api() { return *api_; }
  const std::string& admin_password() const { return api_->first_admin_password(); }

 private:
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

}  // namespace medgen::server::testing
