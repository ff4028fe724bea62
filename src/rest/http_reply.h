// Replies of the REST server and the web UI. Bodies go out gzip-compressed
// (zlib, fast level) when the client accepts it and they are big enough to
// gain; never through cpp-httplib's own compression, which prefers brotli at
// its slowest setting (6.4 s for a 3.8 MB answer here, 0.24 s with gzip).
#ifndef ARCHER_REST_HTTP_REPLY_H_
#define ARCHER_REST_HTTP_REPLY_H_

#include <string>

#include "archer/json.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace archer {

// A JSON answer, never cached, typed "application/json; charset=utf-8" (a
// type httplib does not compress itself: compress_reply does).
void reply_json(httplib::Response& res, const Json& body, int status = 200);
// {"error": message}.
void reply_error(httplib::Response& res, const std::string& message,
                 int status);

// The server's post-routing step: compresses a JSON body (reply_json) with
// gzip when the client accepts it and it is 16 KiB or more.
void compress_reply(const httplib::Request& req, httplib::Response& res);

// The server's pre-routing step: drops "br" from the request's
// Accept-Encoding, so that httplib compresses text (the page's files, trial
// logs) with gzip instead. Never handles the request.
void prefer_gzip(const httplib::Request& req);

// `text` gzip-compressed (for tests and send_body).
std::string gzip(const std::string& text);

}  // namespace archer

#endif  // ARCHER_REST_HTTP_REPLY_H_
