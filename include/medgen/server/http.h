// The HTTP/1.1 and WebSocket layer of `medgen serve`, on Boost.Beast (Boost.Asio underneath),
// with TLS from OpenSSL when a certificate is given. It knows nothing of medgen's API: every
// request goes to one Handler (api.h's router), which answers with a response or accepts a
// WebSocket upgrade with a WsHandler.
//
// What the layer enforces for every request: header and body size limits (431 and 413),
// read and idle timeouts, a well-formed request line (400), the security headers on every
// response (nosniff, no framing, no caching, a deny-all Content-Security-Policy, HSTS under
// TLS), no CORS headers at all (cross-origin browsers are refused by default), and one JSON
// log line per request on the log sink.
//
// Thread safety: the server runs its io threads itself; the Handler is called from any of them,
// concurrently. stop() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::server {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // as sent: "/api/v1/projects?x=1"
  std::string path;                            // percent-decoded path, no query
  std::map<std::string, std::string> query;    // percent-decoded query parameters
  std::map<std::string, std::string> headers;  // names in lower case
  std::map<std::string, std::string> params;   // path parameters of the matched route
  std::string body;
  std::string remote;                          // "127.0.0.1:40312"
  bool websocket = false;                      // a WebSocket upgrade request
  std::string header(const std::string& lower_name) const;
  std::string param(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string log_user;  // who made the request, for the log line (never sent)
  static HttpResponse json(int status, const nlohmann::json& body);
  // {"error": {"code": code, "message": message}}
  static HttpResponse error(int status, const std::string& code, const std::string& message);
};

// The server side of one WebSocket, handed to a WsHandler. send and close may be called from
// any thread; every() runs `tick` on the connection's own strand every `period` until it
// returns false or the connection closes.
class WsPeer {
 public:
  virtual ~WsPeer() = default;
  virtual void send(std::string text) = 0;
  virtual void close() = 0;
  virtual void every(std::chrono::milliseconds period, std::function<bool()> tick) = 0;
};

// One accepted WebSocket's behaviour. Calls come from the connection's strand, one at a time.
class WsHandler {
 public:
  virtual ~WsHandler() = default;
  virtual void opened(WsPeer& peer) { (void)peer; }
  virtual void message(WsPeer& peer, const std::string& text) = 0;
  virtual void closed() {}
};

// What a handler answers: a response, or (for an upgrade request) a WsHandler to accept it.
struct Reply {
  HttpResponse response;
  std::shared_ptr<WsHandler> upgrade;
};

using Handler = std::function<Reply(HttpRequest& request)>;

struct HttpOptions {
  std::string host = "127.0.0.1";     // address to listen on
  int port = 8080;                     // 0: any free port (port() tells which)
  int threads = 4;                     // io threads
  std::string tls_cert;                // PEM certificate chain; with tls_key: HTTPS and WSS only
  std::string tls_key;                 // PEM private key
  uint64_t max_body_bytes = uint64_t{256} << 20;  // larger bodies: 413 (only where large_body allows)
  uint64_t max_small_body_bytes = 1 << 20;        // every other request's limit
  // Which requests may carry up to max_body_bytes (uploads), decided from the request line
  // before the body is read; such a request must also carry an Authorization header. Unset:
  // none. Beast reserves a body's declared length up front, so the large limit is never offered
  // to requests that cannot use it.
  std::function<bool(const std::string& method, const std::string& target)> large_body;
  int max_connections = 10000;         // further connections are closed at once
  int max_ws_messages_per_s = 50;      // a WebSocket sending faster is closed (policy violation)
  uint32_t max_header_bytes = 16 << 10;           // larger headers: 431
  int read_timeout_s = 60;             // a request must arrive whole within this
  int idle_timeout_s = 30;             // a keep-alive connection with no request is closed
  uint32_t max_ws_message_bytes = 64 << 10;
};

// Counters the layer keeps (for /metrics).
struct HttpCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> status_2xx{0}, status_3xx{0}, status_4xx{0}, status_5xx{0};
  std::atomic<uint64_t> micros_total{0};  // handler time, summed
  std::atomic<int64_t> connections{0};
  std::atomic<int64_t> websockets{0};
};

class HttpServer {
 public:
  // Binds at once (IoError when the address is taken or TLS files cannot be loaded), serves
  // after run(). `log` gets one JSON line per request and per error (null: none).
  HttpServer(const HttpOptions& options, Handler handler, std::function<void(const std::string&)> log);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  bool tls() const;
  // Serves on options.threads threads until stop(); returns when they have all finished.
  void run();
  // Stops accepting new connections; those open go on.
  void stop_accepting();
  // Stops accepting and closes every connection; run() returns.
  void stop();
  const HttpCounters& counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Percent-decoding of a path or query component ('+' is a space only in queries). false for a
// malformed escape or a decoded NUL.
bool percent_decode(const std::string& in, bool query, std::string* out);

}  // namespace medgen::server
