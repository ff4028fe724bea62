#include "rest/http_reply.h"

#include <httplib.h>
#include <zlib.h>

namespace archer {

std::string gzip(const std::string& text) {
  z_stream z{};
  // 15 + 16: a gzip wrapper; level 1: fast (JSON still shrinks ~3-6x).
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return "";
  std::string out(deflateBound(&z, text.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : "";
}

void reply_json(httplib::Response& res, const Json& body, int status) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(dumps(body), "application/json; charset=utf-8");
}

void reply_error(httplib::Response& res, const std::string& message,
                 int status) {
  reply_json(res, Json{{"error", message}}, status);
}

void compress_reply(const httplib::Request& req, httplib::Response& res) {
  constexpr size_t kWorthIt = 16 * 1024;
  if (res.body.size() < kWorthIt || res.has_header("Content-Encoding") ||
      res.get_header_value("Content-Type").rfind("application/json", 0) != 0 ||
      req.get_header_value("Accept-Encoding").find("gzip") == std::string::npos)
    return;
  std::string packed = gzip(res.body);
  if (packed.empty()) return;
  res.body = std::move(packed);
  res.headers.erase("Content-Length");  // set_content() set it for the text
  res.set_header("Content-Length", std::to_string(res.body.size()));
  res.set_header("Content-Encoding", "gzip");
  res.set_header("Vary", "Accept-Encoding");
}

void prefer_gzip(const httplib::Request& req) {
  // The request object is httplib's own (not const); only this header
  // changes, before any handler reads it.
  auto& headers = const_cast<httplib::Headers&>(req.headers);
  auto it = headers.find("Accept-Encoding");
  if (it == headers.end()) return;
  std::string kept;
  size_t start = 0;
  const std::string& value = it->second;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    std::string item = value.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(' '));
    if (!item.empty() && item.rfind("br", 0) != 0)
      kept += (kept.empty() ? "" : ", ") + item;
    start = comma + 1;
  }
  it->second = kept;
}

}  // namespace archer
