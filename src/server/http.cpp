#include "medgen/server/http.h"

#include <chrono>
#include <array>
#include <deque>
#include <optional>
#include <thread>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "medgen/core/error.h"
#include "medgen/server/store.h"  // utc_now

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using beast::error_code;

namespace medgen::server {

std::string HttpRequest::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpRequest::param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

HttpResponse HttpResponse::json(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse HttpResponse::error(int status, const std::string& code, const std::string& message) {
  return json(status, {{"error", {{"code", code}, {"message", message}}}});
}

bool percent_decode(const std::string& in, bool query, std::string* out) {
  out->clear();
  out->reserve(in.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex(in[i + 1]);
      const int lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      if (c == '\0') return false;
      i += 2;
    } else if (c == '+' && query) {
      c = ' ';
    }
    out->push_back(c);
  }
  return true;
}

namespace {

const char* kSecurityHeaders[][2] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Cache-Control", "no-store"},
    {"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"},
    {"Referrer-Policy", "no-referrer"},
    {"Cross-Origin-Resource-Policy", "same-origin"},
};

std::string json_escape(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string endpoint_text(const tcp::socket& s) {
  error_code ec;
  const tcp::endpoint ep = s.remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}


}  // namespace

// Everything the connections share.
struct Shared {
  HttpOptions options;
  Handler handler;
  std::function<void(const std::string&)> log;
  HttpCounters counters;
  bool tls = false;

  void log_line(const std::string& line) {
    if (log) log(line);
  }

  // Converts Beast's request, runs the handler (exceptions become 500 without their text: it
  // may name files or rows), counts and logs. `upgrade` receives an accepted WsHandler.
  http::response<http::string_body> handle(http::request<http::string_body>&& in, const std::string& remote,
                                           std::shared_ptr<WsHandler>* upgrade) {
    const auto t0 = std::chrono::steady_clock::now();
    HttpRequest req;
    req.method = std::string(in.method_string());
    req.target = std::string(in.target());
    req.remote = remote;
    req.websocket = websocket::is_upgrade(in);
    for (const auto& f : in) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(f.value());
    }
    req.body = std::move(in.body());
    HttpResponse res;
    const size_t q = req.target.find('?');
    const std::string raw_path = req.target.substr(0, q);
    bool ok = !raw_path.empty() && raw_path[0] == '/' && percent_decode(raw_path, false, &req.path);
    if (ok && q != std::string::npos) {
      const std::string qs = req.target.substr(q + 1);
      size_t start = 0;
      while (ok && start <= qs.size()) {
        size_t amp = qs.find('&', start);
        if (amp == std::string::npos) amp = qs.size();
        const std::string part = qs.substr(start, amp - start);
        if (!part.empty()) {
          const size_t eq = part.find('=');
          std::string k, v;
          ok = percent_decode(part.substr(0, eq), true, &k) &&
               percent_decode(eq == std::string::npos ? "" : part.substr(eq + 1), true, &v);
          if (ok) req.query[k] = v;
        }
        start = amp + 1;
      }
    }
    if (!ok) {
      res = HttpResponse::error(400, "bad_request", "malformed request target");
    } else {
      try {
        Reply reply = handler(req);
        res = std::move(reply.response);
        if (reply.upgrade && req.websocket) *upgrade = std::move(reply.upgrade);
      } catch (const std::exception& e) {
        log_line("{\"time\":\"" + utc_now() + "\",\"level\":\"error\",\"path\":" + json_escape(req.path) +
                 ",\"error\":" + json_escape(e.what()) + "}");
        res = HttpResponse::error(500, "internal", "internal error");
      }
    }
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    const int status = *upgrade ? 101 : res.status;
    counters.requests++;
    counters.micros_total += static_cast<uint64_t>(micros);
    (status < 300 ? counters.status_2xx : status < 400 ? counters.status_3xx
                                        : status < 500 ? counters.status_4xx
                                                       : counters.status_5xx)++;
    if (log)
      log_line("{\"time\":\"" + utc_now() + "\",\"level\":\"info\",\"remote\":" + json_escape(remote) +
               ",\"method\":" + json_escape(req.method) + ",\"path\":" + json_escape(req.path) +
               ",\"status\":" + std::to_string(status) + ",\"ms\":" + std::to_string(micros / 1000.0) +
               ",\"user\":" + json_escape(res.log_user.empty() ? "-" : res.log_user) + "}");
    return to_beast(std::move(res), in.version(), in.keep_alive());
  }

  http::response<http::string_body> to_beast(HttpResponse&& r, unsigned version, bool keep_alive) {
    http::response<http::string_body> out{static_cast<http::status>(r.status), version};
    out.set(http::field::server, "medgen");
    out.set(http::field::content_type, r.content_type);
    for (const auto& h : kSecurityHeaders) out.set(h[0], h[1]);
    if (tls) out.set(http::field::strict_transport_security, "max-age=31536000");
    for (const auto& [k, v] : r.headers) out.set(k, v);
    out.body() = std::move(r.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    return out;
  }

  // A response the layer itself makes (limits, malformed requests), counted and logged.
  http::response<http::string_body> refuse(int status, const std::string& code, const std::string& message,
                                           const std::string& remote) {
    counters.requests++;
    (status < 500 ? counters.status_4xx : counters.status_5xx)++;
    log_line("{\"time\":\"" + utc_now() + "\",\"level\":\"warn\",\"remote\":" + json_escape(remote) +
             ",\"status\":" + std::to_string(status) + ",\"error\":" + json_escape(message) + "}");
    auto res = to_beast(HttpResponse::error(status, code, message), 11, false);
    return res;
  }
};

// ---------------------------------------------------------------------------- WebSocket sessions

template <class Stream>
class WsSession : public std::enable_shared_from_this<WsSession<Stream>>, public WsPeer {
 public:
  WsSession(Stream&& stream, std::shared_ptr<Shared> shared, std::shared_ptr<WsHandler> handler)
      : ws_(std::move(stream)), shared_(std::move(shared)), handler_(std::move(handler)) {
    shared_->counters.websockets++;
  }
  ~WsSession() override { shared_->counters.websockets--; }

  void run(http::request<http::string_body> req) {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(shared_->options.max_ws_message_bytes);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::server, "medgen");
      for (const auto& h : kSecurityHeaders) res.set(h[0], h[1]);
    }));
    ws_.async_accept(req, beast::bind_front_handler(&WsSession::on_accept, this->shared_from_this()));
  }

  void send(std::string text) override {
    auto self = this->weak_from_this().lock();
    if (!self) return;  // being destroyed: a job's last event may race the socket's end
    net::post(ws_.get_executor(), [self, t = std::move(text)]() mutable {
      if (self->closed_) return;
      // A client that does not read: drop it rather than queue without end.
      if (self->queue_.size() >= kMaxQueued) return self->abort(websocket::close_code::policy_error);
      self->queue_.push_back(std::move(t));
      if (self->queue_.size() == 1) self->write_next();
    });
  }

  void close() override {
    auto self = this->weak_from_this().lock();
    if (!self) return;
    net::post(ws_.get_executor(), [self] {
      if (self->closed_ || self->closing_) return;
      self->closing_ = true;
      if (self->queue_.empty()) self->do_close();
    });
  }

  void every(std::chrono::milliseconds period, std::function<bool()> tick) override {
    auto timer = std::make_shared<net::steady_timer>(ws_.get_executor());
    timers_.push_back(timer);
    arm(timer, period, std::move(tick));
  }

 private:
  void arm(std::shared_ptr<net::steady_timer> timer, std::chrono::milliseconds period, std::function<bool()> tick) {
    timer->expires_after(period);
    timer->async_wait([self = this->shared_from_this(), timer, period, tick = std::move(tick)](error_code ec) mutable {
      if (ec || self->closed_) return;
      bool again = false;
      try {
        again = tick();
      } catch (const std::exception& e) {
        self->shared_->log_line(std::string("{\"level\":\"error\",\"websocket_tick\":") + json_escape(e.what()) + "}");
      }
      if (again) self->arm(timer, period, std::move(tick));
    });
  }

  void on_accept(error_code ec) {
    if (ec) return finish();
    try {
      handler_->opened(*this);
    } catch (const std::exception&) {
      return finish();
    }
    do_read();
  }

  void do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, this->shared_from_this()));
  }

  void on_read(error_code ec, std::size_t) {
    if (ec) return finish();
    const std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    const auto now = std::chrono::steady_clock::now();
    if (now - window_ >= std::chrono::seconds(1)) {
      window_ = now;
      in_window_ = 0;
    }
    if (++in_window_ > shared_->options.max_ws_messages_per_s) return abort(websocket::close_code::policy_error);
    try {
      handler_->message(*this, text);
    } catch (const std::exception& e) {
      send(nlohmann::json{{"error", {{"code", "internal"}, {"message", "internal error"}}}}.dump());
      shared_->log_line(std::string("{\"level\":\"error\",\"websocket\":") + json_escape(e.what()) + "}");
    }
    do_read();
  }

  void write_next() {
    ws_.text(true);
    ws_.async_write(net::buffer(queue_.front()), beast::bind_front_handler(&WsSession::on_write, this->shared_from_this()));
  }

  void on_write(error_code ec, std::size_t) {
    if (ec) return finish();
    queue_.pop_front();
    if (!queue_.empty()) return write_next();
    if (closing_) do_close();
  }

  void do_close() {
    ws_.async_close(websocket::close_code::normal, [self = this->shared_from_this()](error_code) { self->finish(); });
  }

  void abort(websocket::close_code code) {
    if (closed_) return;
    queue_.clear();
    closing_ = true;
    ws_.async_close(code, [self = this->shared_from_this()](error_code) { self->finish(); });
  }

  static constexpr size_t kMaxQueued = 256;

  void finish() {
    if (closed_) return;
    closed_ = true;
    for (auto& t : timers_) t->cancel();
    try {
      handler_->closed();
    } catch (const std::exception&) {
    }
  }

  websocket::stream<Stream> ws_;
  beast::flat_buffer buffer_;
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<WsHandler> handler_;
  std::deque<std::string> queue_;
  std::vector<std::shared_ptr<net::steady_timer>> timers_;
  bool closed_ = false, closing_ = false;
  std::chrono::steady_clock::time_point window_{};
  int in_window_ = 0;
};

// ---------------------------------------------------------------------------- HTTP sessions

// The request loop shared by plain and TLS connections (Derived supplies stream()).
template <class Derived>
class HttpSession {
 public:
  HttpSession(std::shared_ptr<Shared> shared, std::string remote) : shared_(std::move(shared)), remote_(std::move(remote)) {
    shared_->counters.connections++;
  }
  ~HttpSession() { shared_->counters.connections--; }

 protected:
  Derived& derived() { return static_cast<Derived&>(*this); }

  // The header first: the body's limit depends on the route (HttpOptions::large_body). Beast
  // compares a declared Content-Length with the limit while parsing the header, so the header
  // is read under the large limit and the small one is applied before any body is read (and
  // before string_body reserves the declared length).
  void do_read() {
    parser_.emplace();
    parser_->body_limit(shared_->options.max_body_bytes);
    parser_->header_limit(shared_->options.max_header_bytes);
    beast::get_lowest_layer(derived().stream()).expires_after(std::chrono::seconds(
        first_ ? shared_->options.read_timeout_s : std::min(shared_->options.read_timeout_s, shared_->options.idle_timeout_s)));
    first_ = false;
    http::async_read_header(derived().stream(), buffer_, *parser_,
                            beast::bind_front_handler(&HttpSession::on_header, derived().shared_from_this()));
  }

  void on_header(error_code ec, std::size_t n) {
    if (ec) return on_read(ec, n);
    const auto& head = parser_->get();
    const HttpOptions& o = shared_->options;
    const bool large = o.large_body && head.find(http::field::authorization) != head.end() &&
                       o.large_body(std::string(head.method_string()), std::string(head.target()));
    if (!large) {
      const auto declared = parser_->content_length();
      if (declared && *declared > o.max_small_body_bytes)
        return send(shared_->refuse(413, "too_large", "request body too large", remote_), true);
      parser_->body_limit(o.max_small_body_bytes);
    }
    beast::get_lowest_layer(derived().stream()).expires_after(std::chrono::seconds(o.read_timeout_s));
    http::async_read(derived().stream(), buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, derived().shared_from_this()));
  }

  void on_read(error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return derived().do_eof();
    if (ec == http::error::body_limit)
      return send(shared_->refuse(413, "too_large", "request body too large", remote_), true);
    if (ec == http::error::header_limit)
      return send(shared_->refuse(431, "headers_too_large", "request headers too large", remote_), true);
    if (ec == beast::error::timeout || ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof)
      return;
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_target).category())
        return send(shared_->refuse(400, "bad_request", "malformed HTTP request", remote_), true);
      return;
    }
    http::request<http::string_body> req = parser_->release();
    std::shared_ptr<WsHandler> upgrade;
    if (websocket::is_upgrade(req)) {
      auto res = shared_->handle(http::request<http::string_body>(req), remote_, &upgrade);
      if (upgrade) return derived().upgrade(std::move(req), std::move(upgrade));
      return send(std::move(res), true);
    }
    auto res = shared_->handle(std::move(req), remote_, &upgrade);
    send(std::move(res), !res.keep_alive());
  }

  // The read deadline also ran through the handler: a response gets its own, a minute plus a
  // second per MiB, so large downloads to slow clients finish.
  void send(http::response<http::string_body>&& res, bool close) {
    auto sp = std::make_shared<http::response<http::string_body>>(std::move(res));
    if (close) sp->keep_alive(false);
    beast::get_lowest_layer(derived().stream()).expires_after(std::chrono::seconds(60 + (sp->body().size() >> 20)));
    http::async_write(derived().stream(), *sp,
                      [self = derived().shared_from_this(), sp, close](error_code ec, std::size_t) {
                        if (ec) return;
                        if (close || !sp->keep_alive()) return self->do_eof();
                        self->do_read();
                      });
  }

  std::shared_ptr<Shared> shared_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool first_ = true;
};

class PlainSession : public HttpSession<PlainSession>, public std::enable_shared_from_this<PlainSession> {
 public:
  PlainSession(tcp::socket&& socket, std::shared_ptr<Shared> shared)
      : HttpSession(std::move(shared), endpoint_text(socket)), stream_(std::move(socket)) {}
  void start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&PlainSession::do_read, shared_from_this()));
  }
  beast::tcp_stream& stream() { return stream_; }
  // Half-closes, then reads and drops what the client still sends (a refused large body) for
  // up to 5 s: closing with unread bytes would reset the connection and lose our response.
  void do_eof() {
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(5));
    drain();
  }
  void drain() {
    auto buf = std::make_shared<std::array<char, 16384>>();
    stream_.async_read_some(net::buffer(*buf), [self = shared_from_this(), buf](error_code ec, std::size_t) {
      if (!ec) self->drain();
    });
  }
  void upgrade(http::request<http::string_body> req, std::shared_ptr<WsHandler> handler) {
    std::make_shared<WsSession<beast::tcp_stream>>(std::move(stream_), shared_, std::move(handler))->run(std::move(req));
  }

 private:
  beast::tcp_stream stream_;
};

class TlsSession : public HttpSession<TlsSession>, public std::enable_shared_from_this<TlsSession> {
 public:
  TlsSession(tcp::socket&& socket, ssl::context& ctx, std::shared_ptr<Shared> shared)
      : HttpSession(std::move(shared), endpoint_text(socket)), stream_(std::move(socket), ctx) {}
  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      beast::get_lowest_layer(self->stream_).expires_after(std::chrono::seconds(self->shared_->options.read_timeout_s));
      self->stream_.async_handshake(ssl::stream_base::server, [self](error_code ec) {
        if (!ec) self->do_read();
      });
    });
  }
  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
  void do_eof() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([self = shared_from_this()](error_code) {});
  }
  void upgrade(http::request<http::string_body> req, std::shared_ptr<WsHandler> handler) {
    std::make_shared<WsSession<beast::ssl_stream<beast::tcp_stream>>>(std::move(stream_), shared_, std::move(handler))
        ->run(std::move(req));
  }

 private:
  beast::ssl_stream<beast::tcp_stream> stream_;
};

// ---------------------------------------------------------------------------- the server

struct HttpServer::Impl {
  net::io_context ioc;
  ssl::context ssl_ctx{ssl::context::tls_server};
  tcp::acceptor acceptor{ioc};
  net::steady_timer backoff{ioc};
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  int port = 0;

  void accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        // Out of descriptors (EMFILE) and the like: wait before trying again instead of spinning.
        backoff.expires_after(std::chrono::milliseconds(100));
        backoff.async_wait([this](error_code e) {
          if (!e) accept();
        });
        return;
      }
      if (shared->counters.connections >= shared->options.max_connections) {
        socket.close(ec);
      } else {
        socket.set_option(tcp::no_delay(true), ec);
        if (shared->tls)
          std::make_shared<TlsSession>(std::move(socket), ssl_ctx, shared)->start();
        else
          std::make_shared<PlainSession>(std::move(socket), shared)->start();
      }
      accept();
    });
  }
};

HttpServer::HttpServer(const HttpOptions& options, Handler handler, std::function<void(const std::string&)> log)
    : impl_(std::make_unique<Impl>()) {
  if (options.threads < 1 || options.threads > 256) throw InvalidInput("--threads: between 1 and 256");
  if (options.port < 0 || options.port > 65535) throw InvalidInput("--port: between 0 and 65535");
  if (options.tls_cert.empty() != options.tls_key.empty())
    throw InvalidInput("--tls-cert and --tls-key go together");
  Shared& sh = *impl_->shared;
  sh.options = options;
  sh.handler = std::move(handler);
  sh.log = std::move(log);
  sh.tls = !options.tls_cert.empty();
  if (sh.tls) {
    error_code ec;
    impl_->ssl_ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                               ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    impl_->ssl_ctx.use_certificate_chain_file(options.tls_cert, ec);
    if (ec) throw IoError(options.tls_cert + ": cannot load the TLS certificate chain (" + ec.message() + ")");
    impl_->ssl_ctx.use_private_key_file(options.tls_key, ssl::context::pem, ec);
    if (ec) throw IoError(options.tls_key + ": cannot load the TLS private key (" + ec.message() + ")");
  }
  error_code ec;
  const auto address = net::ip::make_address(options.host, ec);
  if (ec) throw InvalidInput("--host: '" + options.host + "' is not an IP address");
  const tcp::endpoint ep{address, static_cast<unsigned short>(options.port)};
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw IoError(options.host + ":" + std::to_string(options.port) + ": cannot listen (" + ec.message() + ")");
  impl_->port = impl_->acceptor.local_endpoint().port();
}

HttpServer::~HttpServer() = default;

int HttpServer::port() const { return impl_->port; }
bool HttpServer::tls() const { return impl_->shared->tls; }
const HttpCounters& HttpServer::counters() const { return impl_->shared->counters; }

void HttpServer::run() {
  impl_->accept();
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->shared->options.threads; ++i) threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : threads) t.join();
}

void HttpServer::stop_accepting() {
  net::post(impl_->ioc, [this] {
    error_code ec;
    impl_->acceptor.close(ec);
  });
}

void HttpServer::stop() {
  net::post(impl_->ioc, [this] {
    error_code ec;
    impl_->acceptor.close(ec);
    impl_->ioc.stop();
  });
}

}  // namespace medgen::server
