// The slurm platform's trainingService keys and factory (see platform.h).
#include "common/log.h"
#include "config/config_schema.h"
#include "training_service/platform.h"
#include "training_service/slurm/slurm_training_service.h"

namespace archer {

namespace {

using config::KeyType;
using config::Section;

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
      }};
  return s;
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
  o.experiment_id = context.experiment_id;
  o.max_parallel = config.trial_concurrency;
  o.env = context.env;
  return o;
}

PlatformSpec slurm_platform() {
  PlatformSpec p;
  p.name = "slurm";
  p.doc = "one Slurm batch job per trial (Archer's; NNI has none)";
  p.section = section();
  p.factory = [](const ExperimentConfig& config, const PlatformContext& context)
      -> StatusOr<std::unique_ptr<TrainingService>> {
    SlurmTrainingService::Options o = slurm_options(config, context);
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
