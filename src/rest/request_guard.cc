#include "rest/request_guard.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>

#include "common/text.h"
#include "rest/http_reply.h"

namespace archer {

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

RequestGuard::RequestGuard(const std::string& bound_host)
    : hosts_{"127.0.0.1", "localhost", "[::1]"} {
  if (!bound_host.empty() && bound_host != "0.0.0.0" && bound_host != "::")
    allow_host(bound_host);
}

void RequestGuard::allow_host(const std::string& host) {
  std::string h = ascii_lower(host);
  if (h.find(':') != std::string::npos && h.front() != '[') h = "[" + h + "]";
  if (!allowed(h)) hosts_.push_back(h);
}

bool RequestGuard::allowed(const std::string& host) const {
  return !host.empty() &&
         std::find(hosts_.begin(), hosts_.end(), host) != hosts_.end();
}

std::string RequestGuard::host_of(const std::string& value) {
  std::string v = ascii_lower(value);
  if (v.empty()) return "";
  for (unsigned char c : v) {
    if (c <= 0x20 || c >= 0x7f || c == '/' || c == '@' || c == '\\') return "";
  }
  if (v.front() == '[') {
    auto close = v.find(']');
    if (close == std::string::npos) return "";
    std::string rest = v.substr(close + 1);
    if (!rest.empty() && (rest[0] != ':' || !all_digits(rest.substr(1))))
      return "";
    return v.substr(0, close + 1);
  }
  auto colon = v.find(':');
  if (colon == std::string::npos) return v;
  if (!all_digits(v.substr(colon + 1))) return "";
  return v.substr(0, colon);
}

bool RequestGuard::check(const httplib::Request& req,
                         httplib::Response& res) const {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  const std::string host_header = req.get_header_value("Host");
  if (!allowed(host_of(host_header))) {
    reply_error(res,
                "Host '" + host_header.substr(0, 100) +
                    "' is not allowed: use 127.0.0.1, localhost or [::1], or "
                    "add the name with --allowed_host (for a reverse proxy)",
                421);
    return false;
  }
  const std::string& m = req.method;
  if (m == "GET" || m == "HEAD" || m == "OPTIONS") return true;
  if (req.has_header("Origin")) {
    std::string origin = ascii_lower(req.get_header_value("Origin"));
    std::string host;
    for (const char* scheme : {"http://", "https://"}) {
      const std::string sc(scheme);
      if (origin.compare(0, sc.size(), sc) == 0)
        host = host_of(origin.substr(sc.size()));
    }
    if (!allowed(host)) {
      reply_error(res,
                  "cross-origin " + m + " refused (Origin '" +
                      origin.substr(0, 100) + "')",
                  403);
      return false;
    }
  }
  if (m == "PUT" || m == "POST" || m == "PATCH") {
    std::string type = ascii_lower(req.get_header_value("Content-Type"));
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ') type.pop_back();
    if (type != "application/json") {
      reply_error(res,
                  m + " needs a body of type application/json, got '" +
                      type.substr(0, 100) + "'",
                  415);
      return false;
    }
  }
  return true;
}

}  // namespace archer
