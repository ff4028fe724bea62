// What the web UI costs on a big experiment: a store with N trials (default
// 100,000; cell-space architectures, 3 intermediate results and a final one
// each) served by the REST server on loopback. Times every request the page
// makes (median of repeated warm requests, plus the cold first one that builds
// the trial index and the rebuild after a new trial), and the NNI-style way a
// page gets its table (every trial and every metric, GET /trial-jobs and
// /metric-data).
//
//   webui_bench [--trials N] [--no_write]
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "archer/store.h"
#include "bench_util.h"
#include "rest/rest_server.h"
#include "store/experiment_files.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

using Clock = std::chrono::steady_clock;

const char* kOps[] = {"conv3x3",    "conv5x5",    "sepconv3x3",
                      "maxpool3x3", "avgpool3x3", "identity"};

Json space() {
  Json s = Json::object();
  for (int c = 0; c < 4; ++c) {
    Json ops = Json::array();
    for (const char* op : kOps) ops.push_back(op);
    s["cell" + std::to_string(c) + "_op"] = {{"_type", "layer_choice"},
                                             {"_value", ops}};
    if (c > 0) {
      Json inputs = Json::array({""});
      for (int p = 0; p < c; ++p)
        inputs.push_back("cell" + std::to_string(p) + "_op");
      s["cell" + std::to_string(c) + "_input"] = {
          {"_type", "input_choice"},
          {"_value", {{"candidates", inputs}, {"n_chosen", 1}}}};
    }
  }
  return s;
}

// A store write the benchmark cannot do without: throws (main says it).
void must(const Status& st) {
  if (!st.is_ok()) throw std::runtime_error(st.message());
}
template <typename T>
void must(const StatusOr<T>& r) {
  must(r.status());
}

void fill(Store& store, int trials) {
  std::mt19937 rng(1);
  must(store.put_value(
      store_keys::kConfig,
      Json{{"experimentName", "bench"},
           {"maxTrialNumber", trials},
           {"trialConcurrency", 8},
           {"tuner", {{"name", "Random"}, {"classArgs", {}}}}}));
  must(store.put_value(store_keys::kSearchSpace, space()));
  must(store.put_value(store_keys::kStatus, "DONE"));
  must(store.put_value(store_keys::kExperimentId, "bench"));
  const std::int64_t t0 = 1795000000000;
  must(store.transaction([&] {
    for (int i = 0; i < trials; ++i) {
      Json params = Json::object();
      double score = 0;
      for (int c = 0; c < 4; ++c) {
        const int op = static_cast<int>(rng() % 6);
        score += op;
        params["cell" + std::to_string(c) + "_op"] = {{"_value", kOps[op]},
                                                      {"_idx", op}};
        if (c > 0) {
          const int in = static_cast<int>(rng() % static_cast<unsigned>(c + 1));
          params["cell" + std::to_string(c) + "_input"] = {
              {"_value",
               Json::array(
                   {in == 0 ? "" : "cell" + std::to_string(in - 1) + "_op"})},
              {"_idx", Json::array({in})}};
        }
      }
      TrialRow t;
      t.trial_id = "t" + std::to_string(i);
      t.sequence_id = i;
      t.parameters = dumps(Json{{"parameter_id", i}, {"parameters", params}});
      t.trial_dir = "/nonexistent/" + t.trial_id;
      must(store.insert_trial(t));
      t.status = TrialStatus::kSucceeded;
      t.start_time = t0 + 1000LL * i;
      t.end_time = t.start_time + 900;
      must(store.update_trial(t));
      const double acc = 0.6 + score / 100 + (rng() % 1000) / 1e5;
      for (int s = 0; s < 3; ++s) {
        must(store.insert_metric(MetricRow{
            t.trial_id, i, MetricType::kPeriodical, s,
            std::to_string(acc * (s + 1) / 4), t.start_time + 200 * s}));
      }
      must(store.insert_metric(MetricRow{t.trial_id, i, MetricType::kFinal, 0,
                                         std::to_string(acc), t.end_time}));
    }
    return Status::ok();
  }));
}

struct Timing {
  double ms = 0;
  size_t bytes = 0;
};

Timing request(httplib::Client& c, const std::string& path) {
  auto t = Clock::now();
  auto res = c.Get(path.c_str());
  Timing out;
  out.ms = std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  if (!res || res->status != 200) {
    std::cerr << path << ": failed\n";
    std::exit(1);
  }
  out.bytes = res->body.size();
  return out;
}

Timing median(httplib::Client& c, const std::string& path, int repeats) {
  std::vector<Timing> all;
  for (int i = 0; i < repeats; ++i) all.push_back(request(c, path));
  std::sort(all.begin(), all.end(),
            [](const Timing& a, const Timing& b) { return a.ms < b.ms; });
  return all[all.size() / 2];
}

std::string size_text(size_t bytes) {
  std::ostringstream s;
  if (bytes >= 1 << 20) {
    s.precision(1);
    s << std::fixed << bytes / 1048576.0 << " MiB";
  } else if (bytes >= 1024) {
    s << bytes / 1024 << " KiB";
  } else {
    s << bytes << " B";
  }
  return s.str();
}

}  // namespace
}  // namespace archer

int main(int argc, char** argv) {
  using namespace archer;
  int trials = 100000;
  bool write = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--trials") && i + 1 < argc) {
      trials = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--no_write")) {
      write = false;
    } else {
      std::cerr << "usage: webui_bench [--trials N] [--no_write]\n";
      return 2;
    }
  }
  testing::TempDir dir;
  const std::string db = dir.file("db.sqlite");
  auto t = Clock::now();
  {
    auto store = std::move(Store::open(db)).value();
    fill(*store, trials);
  }
  const double fill_s = std::chrono::duration<double>(Clock::now() - t).count();
  std::cout << "store: " << trials << " trials, " << trials * 4
            << " metrics, written in " << fill_s << " s\n";
  RestServer server(db);
  if (!server.start(0).is_ok()) return 1;
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(120, 0);
  const std::string api = "/api/v1/nni/";
  std::ostringstream table;
  table << "| request (what the page asks) | time | response "
           "|\n|---|---:|---:|\n";
  auto row = [&](const std::string& what, const Timing& tm) {
    std::ostringstream ms;
    ms.precision(tm.ms < 10 ? 2 : 0);
    ms << std::fixed << tm.ms << " ms";
    table << "| " << what << " | " << ms.str() << " | " << size_text(tm.bytes)
          << " |\n";
    std::cout << what << ": " << ms.str() << ", " << size_text(tm.bytes)
              << "\n";
  };
  row("first `overview` (builds the trial index)",
      request(c, api + "overview"));
  const int n = 7;
  row("`overview` (cached; each refresh)", median(c, api + "overview", n));
  const Timing page =
      median(c, api + "trials-page?sort=value&order=desc&offset=0&limit=50", n);
  row("`trials-page`: 50 rows sorted by result", page);
  row("`trials-page`: search `conv5x5`, page 100",
      median(c, api + "trials-page?q=conv5x5&offset=5000&limit=50", n));
  row("`trials-page`: filter SUCCEEDED, sort by duration",
      median(c, api + "trials-page?status=SUCCEEDED&sort=duration&limit=50",
             n));
  row("`final-series` (every result + best so far)",
      median(c, api + "final-series", n));
  row("`choice-stats`", median(c, api + "choice-stats", n));
  row("`parallel-coordinates?limit=2000`",
      median(c, api + "parallel-coordinates?limit=2000", n));
  row("`trial-jobs/:id` (expanding a row)",
      median(c, api + "trial-jobs/t4242", n));
  row("`metric-data/:id?type=PERIODICAL` (its chart)",
      median(c, api + "metric-data/t4242?type=PERIODICAL", n));
  row("`trials-page?limit=all` (export)",
      median(c, api + "trials-page?limit=all", 3));
  {  // a new trial: the next request rebuilds the index
    auto store = std::move(Store::open(db)).value();
    TrialRow tr;
    tr.trial_id = "fresh";
    tr.sequence_id = trials;
    tr.parameters = R"({"parameters": {}})";
    must(store->insert_trial(tr));
  }
  row("`overview` after a trial was added (index rebuilt)",
      request(c, api + "overview"));
  const Timing nni_trials = median(c, api + "trial-jobs", 3);
  const Timing nni_metrics = median(c, api + "metric-data", 3);
  row("NNI's way: `trial-jobs` (every trial)", nni_trials);
  row("NNI's way: `metric-data` (every metric)", nni_metrics);
  std::ostringstream ratio;
  ratio.precision(0);
  ratio << std::fixed
        << (nni_trials.ms + nni_metrics.ms) / std::max(page.ms, 0.01);
  std::ostringstream bytes_ratio;
  bytes_ratio.precision(0);
  bytes_ratio << std::fixed
              << static_cast<double>(nni_trials.bytes + nni_metrics.bytes) /
                     static_cast<double>(page.bytes);
  std::cout << "a table page vs NNI's full fetch: " << ratio.str()
            << "x less time, " << bytes_ratio.str() << "x fewer bytes\n";
  std::ostringstream md;
  md << "The web UI's requests against a store of " << trials
     << " trials (cell-space architectures, 3 intermediate results and a "
        "final one each), over loopback, Release build; warm requests are "
        "the median of "
     << n << ". " << bench::machine_line() << "\n\n"
     << table.str() << "\n"
     << "A page of the trials table costs " << ratio.str() << "x less time and "
     << bytes_ratio.str()
     << "x fewer bytes than NNI's web UI fetching every trial and every "
        "metric (`trial-jobs` + `metric-data`) to build its table, and the "
        "browser renders 50 rows instead of "
     << trials
     << ". The index is rebuilt only when trials change (start, end, a new "
        "metric), not on every refresh, and then reads only the new and "
        "unfinished trials.\n";
  if (write) {
    Status st = bench::update_markdown_section(
        std::string(ARCHER_DOCS_DIR) + "/benchmarks.md", "webui", md.str());
    if (!st.is_ok()) {
      std::cerr << st.message() << "\n";
      return 1;
    }
  }
  server.stop();
  return 0;
}
