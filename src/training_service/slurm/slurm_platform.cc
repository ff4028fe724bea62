// The slurm platform's trainingService keys and factory (see platform.h).
#include <cctype>
#include <cstring>
#include <variant>

#include "common/log.h"
#include "config/config_schema.h"
#include "training_service/platform.h"
#include "training_service/slurm/pilot_service.h"
#include "training_service/slurm/slurm_jobs.h"
#include "training_service/slurm/slurm_training_service.h"

namespace archer {

namespace {

using config::KeyType;
using config::Section;

bool slurm_time(const Json& v) {
  return slurm_time_seconds(v.get<std::string>()).has_value();
}

// trainingService.pilot: worker jobs that run many trials each.
const Section& pilot_section() {
  static const Section s{
      "trainingService.pilot",
      {
          {"workers", KeyType::kInt, Json(), false, config::kPositiveInteger,
           config::positive_int,
           "the most worker jobs at once (each one allocation); default: "
           "enough for trialConcurrency"},
          {"trialsPerWorker", KeyType::kInt, Json(), false,
           config::kPositiveInteger, config::positive_int,
           "trials side by side in one worker; default: what its CPUs and "
           "GPUs fit (cpusPerWorker / cpusPerTrial, gpusPerWorker / "
           "gpusPerTrial), else 1"},
          {"cpusPerWorker", KeyType::kInt, Json(), false,
           config::kPositiveInteger, config::positive_int,
           "sbatch --cpus-per-task of a worker; default cpusPerTrial x "
           "trialsPerWorker"},
          {"gpusPerWorker", KeyType::kInt, Json(), false, "an integer >= 0",
           config::non_negative_int,
           "sbatch --gpus of a worker (each trial gets gpusPerTrial of them "
           "through CUDA_VISIBLE_DEVICES); default gpusPerTrial x "
           "trialsPerWorker"},
          {"memoryPerWorker", KeyType::kString, Json(), false,
           "a Slurm size such as 32G",
           [](const Json& v) { return !v.get<std::string>().empty(); },
           "sbatch --mem of a worker (default: Slurm's)"},
          {"timeLimit", KeyType::kString, Json(), false,
           "a Slurm time such as 4:00:00 or 1-00:00:00", slurm_time,
           "a worker's time limit (default: the platform's timeLimit); no "
           "trial is started on a worker with less time left than the "
           "longest of the last 10 successful trials"},
          {"maxRestarts", KeyType::kInt, 2, false, "an integer >= 0",
           config::non_negative_int,
           "how often a trial lost with its worker (time limit, preemption, "
           "node failure) starts again in its directory before it FAILs"},
          {"startTimeout",
           KeyType::kDuration,
           120,
           false,
           "a duration such as 2m",
           {},
           "a worker job running this long without starting is given up "
           "(three in a row fail the waiting trials, saying why)"},
          {"idleTimeout",
           KeyType::kDuration,
           60,
           false,
           "a duration such as 1m",
           {},
           "a worker with nothing to run for this long exits, freeing its "
           "allocation"},
      }};
  return s;
}

const Section& section() {
  auto non_empty = [](const Json& v) { return !v.get<std::string>().empty(); };
  static const Section s{
      "trainingService",
      {
          {"platform", KeyType::kString, Json(), true, "slurm",
           [](const Json& v) { return v.get<std::string>() == "slurm"; },
           "where trials run: one Slurm job each (trialConcurrency = jobs "
           "queued or running at once)"},
          {"sharedDirectory",
           KeyType::kPath,
           Json(),
           false,
           "a path the compute nodes also see",
           {},
           "where the code and trial directories go "
           "(<sharedDirectory>/<experiment id>/code and trials/<id>; the "
           "code is copied there, honouring .nniignore, and the "
           "experiment's trials/<id> link to them). Default: the trials stay "
           "under experimentWorkingDirectory and the code is used in place, "
           "so both must be on a filesystem the nodes share"},
          {"partition", KeyType::kString, Json(), false, "a partition name",
           non_empty, "sbatch --partition"},
          {"account", KeyType::kString, Json(), false, "an account name",
           non_empty, "sbatch --account"},
          {"timeLimit", KeyType::kString, Json(), false,
           "a Slurm time such as 30, 1:00:00 or 1-12:00:00", non_empty,
           "sbatch --time (the job's limit; a job that hits it ends FAILED "
           "with the reason)"},
          {"cpusPerTrial", KeyType::kInt, Json(), false,
           config::kPositiveInteger, config::positive_int,
           "sbatch --cpus-per-task (also the trial's OMP_NUM_THREADS)"},
          {"memoryPerTrial", KeyType::kString, Json(), false,
           "a Slurm size such as 4G or 500M", non_empty, "sbatch --mem"},
          {"gpusPerTrial", KeyType::kInt, Json(), false, "an integer >= 0",
           [](const Json& v) { return v.get<long long>() >= 0; },
           "sbatch --gpus (default: trialGpuNumber)"},
          {"sbatchOptions", KeyType::kAny, Json::array(), false,
           "a list of sbatch arguments",
           [](const Json& v) {
             if (!v.is_array()) return false;
             for (const auto& o : v) {
               if (!o.is_string()) return false;
             }
             return true;
           },
           "extra sbatch arguments, e.g. [\"--qos=long\", \"--exclusive\"]"},
          {"requeue",
           KeyType::kBool,
           true,
           false,
           "true or false",
           {},
           "requeue a trial once when its job is preempted or its node "
           "fails"},
          {"pollInterval",
           KeyType::kDuration,
           1,
           false,
           "a duration such as 1s or 0.5s",
           {},
           "how often squeue is asked about the jobs"},
          {"maxJobs", KeyType::kInt, Json(), false, config::kPositiveInteger,
           config::positive_int,
           "the most jobs Archer keeps queued or running (a site's per-user "
           "limit); default: the association's MaxSubmitJobs when sacctmgr "
           "tells it, else trialConcurrency alone"},
          {"submitInterval",
           KeyType::kDuration,
           0.1,
           false,
           "a duration such as 0.1s or 6s",
           {},
           "the least time between two sbatch calls (sites ask for fewer "
           "than ~10 submissions a minute: 6s)"},
          {"pilot",
           KeyType::kObject,
           Json(),
           false,
           "a mapping (trainingService.pilot keys)",
           {},
           "pilot mode: worker jobs hold allocations and run trial after "
           "trial, each starting in milliseconds (see "
           "docs/platforms/slurm.md)",
           &pilot_section()},
          {"jobArrays",
           KeyType::kBool,
           true,
           false,
           "true or false",
           {},
           "trials submitted together (the first ones, a concurrency "
           "increase) go in one `sbatch --array`, each element its own "
           "trial; false: one sbatch per trial"},
      }};
  return s;
}

// "4G" x n (Slurm's units K, M, G, T; none = megabytes); "" if `size` is
// not one.
std::string times_size(const std::string& size, int n) {
  size_t digits = 0;
  while (digits < size.size() &&
         std::isdigit(static_cast<unsigned char>(size[digits])))
    ++digits;
  const std::string unit = size.substr(digits);
  if (digits == 0 || digits > 12 ||
      !(unit.empty() || (unit.size() == 1 && std::strchr("KMGTkmgt", unit[0]))))
    return "";
  return std::to_string(std::stoll(size.substr(0, digits)) * n) + unit;
}

// A checked section's integer key, if set.
std::optional<int> int_key(const Json& section, const char* key) {
  const Json v = section.value(key, Json());
  if (!v.is_number_integer()) return std::nullopt;
  return v.get<int>();
}

// The pilot's options from the checked trainingService section, or what
// cannot fit.
std::variant<PilotOptions, config::KeyError> pilot_of(const Json& ts,
                                                      const SlurmOptions& s,
                                                      int concurrency) {
  const Json& p = ts["pilot"];
  PilotOptions o;
  const std::string at = "/trainingService/pilot/";
  const std::optional<int> slots = int_key(p, "trialsPerWorker");
  o.cpus = int_key(p, "cpusPerWorker");
  o.gpus = int_key(p, "gpusPerWorker");
  // What a worker fits, dimension by dimension.
  std::optional<int> fit;
  auto fits = [&](std::optional<int> per_worker, std::optional<int> per_trial,
                  const char* key, const char* trial_key,
                  const char* unit) -> std::optional<config::KeyError> {
    if (!per_worker || !per_trial || *per_trial <= 0) return std::nullopt;
    const int n = *per_worker / *per_trial;
    if (n < 1 || (slots && *slots > n)) {
      const int want = slots.value_or(1);
      return config::KeyError{
          at + key, std::string("trainingService.pilot.") + key,
          "a worker of " + std::to_string(*per_worker) + " " + unit +
              " cannot fit " + std::to_string(want) + " trial" +
              (want == 1 ? "" : "s") + " of " + trial_key + " " +
              std::to_string(*per_trial) + " (it needs " +
              std::to_string(want * *per_trial) + ")"};
    }
    fit = std::min(fit.value_or(n), n);
    return std::nullopt;
  };
  if (auto e = fits(o.cpus, s.cpus, "cpusPerWorker", "cpusPerTrial", "CPUs"))
    return *e;
  if (auto e = fits(o.gpus, s.gpus, "gpusPerWorker", "gpusPerTrial", "GPUs"))
    return *e;
  o.slots = slots.value_or(fit.value_or(1));
  if (!o.cpus && s.cpus) o.cpus = *s.cpus * o.slots;
  if (!o.gpus && s.gpus && *s.gpus > 0) o.gpus = *s.gpus * o.slots;
  o.memory = section_text(p, "memoryPerWorker");
  if (o.memory.empty() && !s.memory.empty())
    o.memory = times_size(s.memory, o.slots);
  o.time_limit = section_text(p, "timeLimit");
  o.workers =
      int_key(p, "workers").value_or((concurrency + o.slots - 1) / o.slots);
  o.max_restarts = int_key(p, "maxRestarts").value_or(2);
  o.start_timeout = p.value("startTimeout", 120.0);
  o.idle_timeout = p.value("idleTimeout", 60.0);
  return o;
}

}  // namespace

SlurmTrainingService::Options slurm_options(const ExperimentConfig& config,
                                            const PlatformContext& context) {
  const Json& ts = config.training_service;
  SlurmTrainingService::Options o;
  SlurmOptions& s = o.slurm;
  s.shared_directory = section_text(ts, "sharedDirectory");
  s.partition = section_text(ts, "partition");
  s.account = section_text(ts, "account");
  s.time_limit = section_text(ts, "timeLimit");
  s.memory = section_text(ts, "memoryPerTrial");
  if (ts.value("cpusPerTrial", Json()).is_number_integer())
    s.cpus = ts["cpusPerTrial"].get<int>();
  if (ts.value("gpusPerTrial", Json()).is_number_integer()) {
    s.gpus = ts["gpusPerTrial"].get<int>();
  } else if (config.trial_gpu_number && *config.trial_gpu_number > 0) {
    s.gpus = config.trial_gpu_number;
  }
  if (ts.value("sbatchOptions", Json()).is_array())
    s.sbatch_options = ts["sbatchOptions"].get<std::vector<std::string>>();
  s.requeue = ts.value("requeue", true);
  s.poll_interval = ts.value("pollInterval", 1.0);
  if (ts.value("maxJobs", Json()).is_number_integer())
    s.max_jobs = ts["maxJobs"].get<int>();
  s.submit_interval = ts.value("submitInterval", 0.1);
  s.arrays = ts.value("jobArrays", true);
  o.experiment_id = context.experiment_id;
  o.max_parallel = config.trial_concurrency;
  o.env = context.env;
  return o;
}

PlatformSpec slurm_platform() {
  PlatformSpec p;
  p.name = "slurm";
  p.doc =
      "one Slurm batch job per trial, or pilot workers that run many "
      "(Archer's; NNI has none)";
  p.section = section();
  p.check = [](const Json& ts,
               const Json& top) -> std::optional<config::KeyError> {
    if (!ts.value("pilot", Json()).is_object()) return std::nullopt;
    ExperimentConfig c;
    c.training_service = ts;
    const SlurmOptions s = slurm_options(c, PlatformContext()).slurm;
    auto pilot = pilot_of(ts, s, top.value("trialConcurrency", 1));
    if (auto* e = std::get_if<config::KeyError>(&pilot)) return *e;
    return std::nullopt;
  };
  p.factory = [](const ExperimentConfig& config, const PlatformContext& context)
      -> StatusOr<std::unique_ptr<TrainingService>> {
    SlurmTrainingService::Options o = slurm_options(config, context);
    if (config.training_service.value("pilot", Json()).is_object()) {
      auto pilot =
          pilot_of(config.training_service, o.slurm, config.trial_concurrency);
      if (auto* e = std::get_if<config::KeyError>(&pilot))
        return Status::invalid_argument(e->key + ": " + e->message);
      SlurmPilotService::Options po;
      po.slurm = o.slurm;
      po.pilot = std::get<PilotOptions>(pilot);
      po.experiment_id = o.experiment_id;
      po.pilot_dir = (o.slurm.shared_directory.empty()
                          ? context.experiment_dir
                          : o.slurm.shared_directory + "/" + o.experiment_id) +
                     "/pilot";
      po.max_parallel = o.max_parallel;
      po.env = o.env;
      if (!po.slurm.max_jobs)
        po.slurm.max_jobs = association_max_submit_jobs(po.env);
      return std::unique_ptr<TrainingService>(
          std::make_unique<SlurmPilotService>(std::move(po)));
    }
    if (!o.slurm.max_jobs) {  // the site's per-user limit, when it has one
      o.slurm.max_jobs = association_max_submit_jobs(o.env);
      if (o.slurm.max_jobs) {
        log_info("archer", "slurm: at most " +
                               std::to_string(*o.slurm.max_jobs) +
                               " jobs at once (the association's "
                               "MaxSubmitJobs; maxJobs overrides it)");
      }
    }
    return std::unique_ptr<TrainingService>(
        std::make_unique<SlurmTrainingService>(std::move(o)));
  };
  return p;
}

}  // namespace archer
