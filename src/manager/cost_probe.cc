#include "manager/cost_probe.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include "common/atomic_file.h"
#include "common/bounded_file.h"
#include "common/log.h"
#include "common/subprocess.h"
#include "common/time_util.h"
#include "manager/trial_env.h"
#include "store/experiment_files.h"
#include "training_service/run_script.h"

namespace archer {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxCostsBytes = 64 << 10;

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

struct Job {
  std::int64_t parameter_id;
  Json parameters;
  std::string command, code_dir, experiment_id, probe_dir;
  double timeout;
  int threads;
  std::map<std::string, std::string> env;  // the trial's (trial_env.h)
};

// Runs one probe (on the worker thread): the costs it wrote, checked.
StatusOr<Json> run_probe(const Job& job) {
  std::error_code ec;
  fs::create_directories(job.probe_dir, ec);
  if (ec)
    return Status::io_error("cannot create " + job.probe_dir + ": " +
                            ec.message());
  const std::string out = job.probe_dir + "/costs.json";
  fs::remove(out, ec);
  // The probe may have planted links in its folder on an earlier run: its
  // files are written without following any.
  Status cfg = write_file_in(job.probe_dir, "parameter.cfg",
                             dumps(Json{{"parameter_id", job.parameter_id},
                                        {"parameter_source", "algorithm"},
                                        {"parameters", job.parameters},
                                        {"parameter_index", 0}}));
  if (!cfg.is_ok()) return cfg;
  std::map<std::string, std::string> env = job.env;
  env.insert({{"NNI_PLATFORM", "local"},
              {"NNI_EXP_ID", job.experiment_id},
              {"NNI_TRIAL_JOB_ID", "probe" + std::to_string(job.parameter_id)},
              {"NNI_SYS_DIR", job.probe_dir},
              {"NNI_OUTPUT_DIR", job.probe_dir},
              {"NNI_TRIAL_SEQ_ID", "-1"},
              {"OMP_NUM_THREADS", std::to_string(job.threads)},
              {"ARCHER_COST_PROBE", out}});
  auto ran = run_process(
      {"bash", "-c", "cd " + shell_quote(job.code_dir) + " && " + job.command},
      env, "",
      std::chrono::milliseconds(static_cast<long long>(job.timeout * 1000)));
  if (!ran.is_ok()) return ran.status().with_context("starting the cost probe");
  const ProcessResult& r = ran.value();
  // Its output, bounded as run_process keeps it (the last 1 MiB of each).
  Status logged = write_file_in(
      job.probe_dir, "probe.log",
      output_tail(r.out, r.out_dropped, kMaxCapturedOutput) + "\n" +
          output_tail(r.err, r.err_dropped, kMaxCapturedOutput) + "\n");
  if (!logged.is_ok()) log_warning("archer", logged.message());
  const std::string where = "the cost probe (" + job.probe_dir + ")";
  if (r.timed_out) {
    return Status::io_error(
        where + " did not finish in " + number_text(job.timeout) +
        " s (costProbeTimeout): the trial must call "
        "get_and_apply_next_architecture (C++) or report_costs (Python) "
        "before it loads data or trains");
  }
  if (r.exit_code != 0) {
    return Status::invalid_argument(
        where + " exited with status " + std::to_string(r.exit_code) + ": " +
        (r.err.empty() ? output_tail(r.out, r.out_dropped, 600)
                       : output_tail(r.err, r.err_dropped, 600)));
  }
  // Written by the trial: read beneath its folder (no symlink followed),
  // bounded.
  auto text = read_beneath(job.probe_dir, "costs.json", kMaxCostsBytes + 1);
  if (!text.is_ok()) {
    if (text.status().code() == Status::Code::kNotFound) {
      return Status::invalid_argument(
          where + " exited without writing " + out +
          ": the trial does not support the cost probe (C++: "
          "get_and_apply_next_architecture; Python: archer_trial."
          "report_costs)");
    }
    return text.status();
  }
  if (text.value().size() > kMaxCostsBytes)
    return Status::invalid_argument(out + ": more than 64 KiB of costs");
  auto costs = parse_json(text.value(), out, JsonLimits{kMaxCostsBytes, 8});
  if (!costs.is_ok()) return costs.status();
  const Json& c = costs.value();
  if (!c.is_object())
    return Status::invalid_argument(
        out + ": expected a JSON object of costs, got " + json_excerpt(c, 60));
  for (auto it = c.begin(); it != c.end(); ++it) {
    if (!it.value().is_number() || !std::isfinite(it.value().get<double>()))
      return Status::invalid_argument(out + ": " + it.key() +
                                      ": expected a finite number, got " +
                                      json_excerpt(it.value(), 60));
  }
  return c;
}

}  // namespace

StatusOr<std::string> violated_constraint(
    const std::vector<CostConstraint>& constraints, const Json& costs) {
  for (const auto& k : constraints) {
    if (!costs.is_object() || !costs.contains(k.metric) ||
        !costs[k.metric].is_number()) {
      std::string keys;
      if (costs.is_object()) {
        for (auto it = costs.begin(); it != costs.end(); ++it)
          keys += (keys.empty() ? "" : ", ") + it.key();
      }
      return Status::invalid_argument(
          "constraint on " + k.metric + ": the cost probe did not report it (" +
          (keys.empty() ? "it reported nothing" : "it reported " + keys) +
          "; latency_ms and macs need a cost input: ApplyOptions::cost_input)");
    }
    const double v = costs[k.metric].get<double>();
    if (k.max && v > *k.max)
      return k.metric + " " + number_text(v) + " > " + number_text(*k.max);
    if (k.min && v < *k.min)
      return k.metric + " " + number_text(v) + " < " + number_text(*k.min);
  }
  return std::string();
}

CostProbe::CostProbe(const ExperimentConfig& config, std::string experiment_id,
                     std::string experiment_dir, Store* store)
    : constraints_(config.constraints),
      command_(config.trial_command),
      code_dir_(config.trial_code_directory),
      experiment_id_(std::move(experiment_id)),
      dir_(std::move(experiment_dir)),
      timeout_(config.cost_probe_timeout),
      threads_(static_cast<int>(std::max(
          1u,
          std::thread::hardware_concurrency() /
              static_cast<unsigned>(std::max(1, config.trial_concurrency))))),
      env_(trial_env(config)),
      store_(store) {
  auto saved = store_->get_value(store_keys::kCostProbes);
  if (saved.is_ok() && saved.value().is_object()) {
    totals_.probed = saved.value().value("probed", 0);
    totals_.rejected = saved.value().value("rejected", 0);
    totals_.seconds = saved.value().value("seconds", 0.0);
  }
}

StatusOr<std::optional<ProbeVerdict>> CostProbe::cached(
    const Json& parameters) {
  auto v = store_->get_value(store_keys::kCostProbePrefix + dumps(parameters));
  if (!v.is_ok()) return v.status();
  if (!v.value().is_object()) return std::optional<ProbeVerdict>();
  ProbeVerdict verdict;
  verdict.costs = v.value().value("costs", Json::object());
  // The constraints may have changed since (a resume keeps them, but be
  // safe): judge again.
  auto violated = violated_constraint(constraints_, verdict.costs);
  if (!violated.is_ok()) return violated.status();
  verdict.violated = violated.value();
  return std::optional<ProbeVerdict>(verdict);
}

void CostProbe::start(std::int64_t parameter_id, const Json& parameters) {
  busy_ = true;
  Job job{parameter_id,
          parameters,
          command_,
          code_dir_,
          experiment_id_,
          files::probes_dir(dir_) + "/" + std::to_string(parameter_id),
          timeout_,
          threads_,
          env_};
  worker_.post([this, job]() -> BackgroundWorker::Completion {
    const auto t0 = std::chrono::steady_clock::now();
    StatusOr<Json> costs = run_probe(job);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    return [this, job, costs, seconds] {
      busy_ = false;
      if (!costs.is_ok()) {
        finished_ = Finished{job.parameter_id, job.parameters, costs.status()};
        return;
      }
      ProbeVerdict v;
      v.costs = costs.value();
      v.seconds = seconds;
      auto violated = violated_constraint(constraints_, v.costs);
      if (!violated.is_ok()) {
        finished_ = Finished{job.parameter_id, job.parameters,
                             violated.status().with_context(
                                 "the cost probe (" + job.probe_dir + ")")};
        return;
      }
      v.violated = violated.value();
      finished_ = Finished{job.parameter_id, job.parameters, v};
    };
  });
}

std::optional<CostProbe::Finished> CostProbe::take() {
  worker_.run_completions();
  if (!finished_) return std::nullopt;
  Finished f = std::move(*finished_);
  finished_.reset();
  if (f.verdict.is_ok()) {
    const ProbeVerdict& v = f.verdict.value();
    ++totals_.probed;
    totals_.seconds += v.seconds;
    Status st =
        store_->put_value(store_keys::kCostProbePrefix + dumps(f.parameters),
                          Json{{"costs", v.costs},
                               {"feasible", v.feasible()},
                               {"violated", v.violated},
                               {"seconds", std::round(v.seconds * 1000) / 1000},
                               {"parameter_id", f.parameter_id},
                               {"time", now_ms()}});
    if (st.is_ok()) st = save_totals();
    if (st.is_ok() && !v.feasible()) {
      auto all = infeasible_architectures();
      st = all.status();
      if (st.is_ok()) {
        Json list = all.value();
        list.push_back(f.parameters);
        st = store_->put_value(store_keys::kCostInfeasible, list);
      }
    }
    if (!st.is_ok()) f.verdict = st;
  }
  return f;
}

StatusOr<Json> CostProbe::infeasible_architectures() {
  auto v = store_->get_value(store_keys::kCostInfeasible);
  if (!v.is_ok()) return v.status();
  return v.value().is_array() ? v.value() : Json::array();
}

Status CostProbe::count_rejection() {
  ++totals_.rejected;
  return save_totals();
}

Status CostProbe::save_totals() {
  return store_->put_value(
      store_keys::kCostProbes,
      Json{{"probed", totals_.probed},
           {"rejected", totals_.rejected},
           {"seconds", std::round(totals_.seconds * 1000) / 1000}});
}

}  // namespace archer
