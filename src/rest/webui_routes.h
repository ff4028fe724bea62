// The web UI's routes on the REST server: the page and its files (compiled
// into the binary), and the read endpoints it needs beyond NNI's, all under
// the same API prefix (documented in docs/rest.md):
//
// GET overview                     experiment, budget, counts, best, config,
//                                  search space, writable (false: read-only)
// GET trials-page?offset&limit&sort&order&status&q
//                                  one sorted, filtered page of trials
// GET final-series                 every final result over time + best so far
// GET choice-stats                 per key and candidate: trials, mean, best
// GET parallel-coordinates?limit   choices as ordinal axes, with the value
// GET export-data                  NNI's [{parameter, value, trialJobId}]
// GET trial-file/:id/:name         stdout, stderr, trial.log, run.sh,
//                                  parameter.cfg of a trial (text; the last
//                                  1 MiB of a larger file)
#ifndef ARCHER_REST_WEBUI_ROUTES_H_
#define ARCHER_REST_WEBUI_ROUTES_H_

#include <memory>
#include <string>

namespace httplib {
class Server;
}

namespace archer {

class WebUiData;

// Adds the routes: the page at `url_prefix` + "/" (and /static/...), the API
// under `api_prefix`. `writable`: whether a manager takes write requests.
void add_webui_routes(httplib::Server& server, const std::string& url_prefix,
                      const std::string& api_prefix,
                      std::shared_ptr<WebUiData> data, bool writable);

}  // namespace archer

#endif  // ARCHER_REST_WEBUI_ROUTES_H_
