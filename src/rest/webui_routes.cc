#include "rest/webui_routes.h"

#include <httplib.h>

#include "common/bounded_file.h"
#include "rest/http_reply.h"
#include "rest/trial_index.h"
#include "rest/webui_assets.h"

namespace archer {

namespace {

void serve_asset(httplib::Response& res, const std::string& path) {
  const WebAsset* asset = find_webui_asset(path);
  if (!asset) return reply_error(res, "no such file: " + path, 404);
  res.set_header("X-Content-Type-Options", "nosniff");
  if (path == "index.html") {
    // Scripts only from this origin: trial text can never run as script.
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data:; "
                   "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
  }
  res.set_content(reinterpret_cast<const char*>(asset->data), asset->size,
                  webui_content_type(path));
}

}  // namespace

const WebAsset* find_webui_asset(const std::string& path) {
  for (const auto& a : webui_assets()) {
    if (path == a.path) return &a;
  }
  return nullptr;
}

const char* webui_content_type(const std::string& path) {
  auto ends = [&](const char* ext) {
    const std::string e(ext);
    return path.size() >= e.size() &&
           path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  return "text/plain; charset=utf-8";
}

void add_webui_routes(httplib::Server& s, const std::string& url_prefix,
                      const std::string& api, std::shared_ptr<WebUiData> data,
                      bool writable) {
  s.Get(url_prefix + "/", [](const httplib::Request&, httplib::Response& res) {
    serve_asset(res, "index.html");
  });
  if (!url_prefix.empty()) {
    s.Get(url_prefix,
          [url_prefix](const httplib::Request&, httplib::Response& res) {
            res.set_redirect(url_prefix + "/");
          });
  }
  s.Get(url_prefix + R"(/static/([A-Za-z0-9_./-]+))",
        [](const httplib::Request& req, httplib::Response& res) {
          const std::string path = req.matches[1].str();
          if (path.find("..") != std::string::npos)
            return reply_error(res, "bad path", 400);
          serve_asset(res, path);
        });
  auto with_index = [data](httplib::Response& res,
                           const std::function<void(const TrialIndex&)>& body) {
    auto index = data->get();
    if (!index.is_ok()) return reply_error(res, index.status().message(), 500);
    body(*index.value());
  };
  s.Get(api + "/overview",
        [data, with_index, writable](const httplib::Request&,
                                     httplib::Response& res) {
          with_index(res, [&](const TrialIndex& index) {
            auto values = data->experiment_values();
            if (!values.is_ok())
              return reply_error(res, values.status().message(), 500);
            Json out = index.overview(values.value());
            out["writable"] = writable;
            reply_json(res, out);
          });
        });
  s.Get(api + "/trials-page", [with_index](const httplib::Request& req,
                                           httplib::Response& res) {
    auto q = parse_page_query([&](const std::string& name) {
      return req.has_param(name) ? req.get_param_value(name) : std::string();
    });
    if (!q.is_ok()) return reply_error(res, q.status().message(), 400);
    with_index(res, [&](const TrialIndex& index) {
      reply_json(res, index.page(q.value()));
    });
  });
  s.Get(api + "/final-series",
        [with_index](const httplib::Request&, httplib::Response& res) {
          with_index(res, [&](const TrialIndex& index) {
            reply_json(res, index.final_series());
          });
        });
  s.Get(api + "/choice-stats",
        [with_index](const httplib::Request&, httplib::Response& res) {
          with_index(res, [&](const TrialIndex& index) {
            reply_json(res, index.choice_stats());
          });
        });
  s.Get(api + "/parallel-coordinates", [with_index](const httplib::Request& req,
                                                    httplib::Response& res) {
    size_t limit = 2000;
    if (req.has_param("limit")) {
      const std::string v = req.get_param_value("limit");
      char* end = nullptr;
      const unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || v[0] == '-' || n > 100000) {
        return reply_error(
            res, "limit: expected an integer in [0, 100000], got '" + v + "'",
            400);
      }
      limit = n;
    }
    with_index(res, [&](const TrialIndex& index) {
      reply_json(res, index.parallel_coordinates(limit));
    });
  });
  s.Get(api + "/export-data",
        [with_index](const httplib::Request&, httplib::Response& res) {
          with_index(res, [&](const TrialIndex& index) {
            reply_json(res, index.export_data());
          });
        });
  s.Get(
      api + R"(/trial-file/([A-Za-z0-9]+)/([A-Za-z0-9_.]+))",
      [with_index](const httplib::Request& req, httplib::Response& res) {
        const std::string id = req.matches[1].str();
        const std::string name = req.matches[2].str();
        static const char* kFiles[] = {"stdout", "stderr", "trial.log",
                                       "run.sh", "parameter.cfg"};
        if (std::find(std::begin(kFiles), std::end(kFiles), name) ==
            std::end(kFiles)) {
          return reply_error(res,
                             "file: expected one of stdout, stderr, trial.log, "
                             "run.sh, parameter.cfg; got '" +
                                 name + "'",
                             400);
        }
        with_index(res, [&](const TrialIndex& index) {
          const Json t = index.trial(id);
          if (t.is_null())
            return reply_error(res, "trial '" + id + "' not found", 404);
          const std::string dir = t["trialDir"].get<std::string>();
          // The trial controls its directory: no symlink is followed, only
          // a regular file is read (a FIFO cannot block this worker).
          auto fd = open_beneath(dir, name);
          if (!fd.is_ok()) {
            const bool missing = fd.status().code() == Status::Code::kNotFound;
            return reply_error(res, fd.status().message(), missing ? 404 : 403);
          }
          constexpr std::uint64_t kMax = 1 << 20;
          auto size = file_size(fd.value().get(), dir + "/" + name);
          if (!size.is_ok())
            return reply_error(res, size.status().message(), 500);
          const std::uint64_t from =
              size.value() > kMax ? size.value() - kMax : 0;
          auto read = read_at(fd.value().get(), from, kMax, name);
          if (!read.is_ok())
            return reply_error(res, read.status().message(), 500);
          std::string text = std::move(read).value();
          if (from > 0)
            text = "[... the first " + std::to_string(from) +
                   " bytes are not shown ...]\n" + text;
          res.set_header("X-Content-Type-Options", "nosniff");
          res.set_header("Cache-Control", "no-store");
          res.set_content(text, "text/plain; charset=utf-8");
        });
      });
}

}  // namespace archer
