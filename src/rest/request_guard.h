// The REST server's trust boundary: every client is untrusted, including a
// browser tab of any web site (it can reach 127.0.0.1, and through DNS
// rebinding it can even make its requests look same-origin). Checked before
// routing, for every request:
// - Host must be one of 127.0.0.1, localhost, [::1] (any port), the address
//   the server is bound to, or a host added for a reverse proxy
//   (--allowed_host); else 421 (Misdirected Request). Stops DNS rebinding.
// - A state-changing request (PUT, POST, DELETE, PATCH) must carry no Origin
//   or one whose host is allowed (same origin); else 403. A PUT or POST must
//   have a body typed application/json (a cross-site "simple request" cannot
//   send that type); else 415.
// - Bodies larger than kMaxRequestBody are refused by the server (413).
// Answers of every kind carry nosniff, X-Frame-Options: DENY and no-store.
#ifndef ARCHER_REST_REQUEST_GUARD_H_
#define ARCHER_REST_REQUEST_GUARD_H_

#include <cstddef>
#include <string>
#include <vector>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace archer {

constexpr size_t kMaxRequestBody = size_t{16} << 20;

class RequestGuard {
 public:
  // `bound_host`: the address the server listens on ("127.0.0.1" by default).
  explicit RequestGuard(const std::string& bound_host);
  // Also accept `host` (a name or address, without port) in Host and Origin.
  void allow_host(const std::string& host);
  // True to let the request through; otherwise `res` holds the refusal.
  bool check(const httplib::Request& req, httplib::Response& res) const;
  // The host part of a Host header value ("[::1]:8080" -> "[::1]",
  // "a.b:80" -> "a.b"), lower-cased; "" if malformed.
  static std::string host_of(const std::string& host_header);

 private:
  bool allowed(const std::string& host) const;
  std::vector<std::string> hosts_;
};

}  // namespace archer

#endif  // ARCHER_REST_REQUEST_GUARD_H_
