// Every file path of an experiment and every key of its store, named once
// (as leveldb's filename.h): an experiment lives in
// <experimentWorkingDirectory>/<id>/ —
//   db/archer.sqlite       the store (the truth)
//   db/manager.lock        held by the manager or viewer (manager_lock.h)
//   log/manager.log        a detached manager's output
//   trials/<trial id>/     NNI's trial directory (parameter.cfg, run.sh,
//                          .nni/metrics, .nni/state, stdout, stderr, ...)
// and the working directory keeps the index of its experiments in
// .experiments.
#ifndef ARCHER_STORE_EXPERIMENT_FILES_H_
#define ARCHER_STORE_EXPERIMENT_FILES_H_

#include <string>

namespace archer {
namespace files {

inline std::string store_path(const std::string& experiment_dir) {
  return experiment_dir + "/db/archer.sqlite";
}
inline std::string lock_path(const std::string& experiment_dir) {
  return experiment_dir + "/db/manager.lock";
}
inline std::string log_dir(const std::string& experiment_dir) {
  return experiment_dir + "/log";
}
inline std::string manager_log_path(const std::string& experiment_dir) {
  return log_dir(experiment_dir) + "/manager.log";
}
// NNI's dispatcher's output (its log and any traceback), and where NNI's
// algorithms may keep checkpoints (NNI_CHECKPOINT_DIRECTORY).
inline std::string dispatcher_log_path(const std::string& experiment_dir) {
  return log_dir(experiment_dir) + "/dispatcher.log";
}
inline std::string checkpoint_dir(const std::string& experiment_dir) {
  return experiment_dir + "/checkpoint";
}
inline std::string trials_dir(const std::string& experiment_dir) {
  return experiment_dir + "/trials";
}
inline std::string trial_dir(const std::string& experiment_dir,
                             const std::string& trial_id) {
  return trials_dir(experiment_dir) + "/" + trial_id;
}
// The cost probe's folders (one per probed architecture: parameter.cfg, the
// costs it wrote, its output).
inline std::string probes_dir(const std::string& experiment_dir) {
  return experiment_dir + "/probes";
}
inline std::string index_path(const std::string& working_dir) {
  return working_dir + "/.experiments";
}

}  // namespace files

// The experiment-level values in the store (Store::put_value/get_value).
namespace store_keys {
inline constexpr char kExperimentId[] = "experiment_id";
inline constexpr char kConfig[] = "config";               // canonical v2 JSON
inline constexpr char kSearchSpace[] = "search_space";    // the current one
inline constexpr char kSearchSpaces[] = "search_spaces";  // every generation
inline constexpr char kStatus[] = "status";  // an ExperimentStatus name
// Why the experiment ended or stopped proposing ("search space exhausted: all
// 3 architectures tried"), "" when nothing needs saying.
inline constexpr char kStatusMessage[] = "status_message";
inline constexpr char kStartTime[] = "start_time";
inline constexpr char kResumeTime[] = "resume_time";
inline constexpr char kEndTime[] = "end_time";
inline constexpr char kElapsedSeconds[] = "elapsed_seconds";
inline constexpr char kNextSequenceId[] = "next_sequence_id";
inline constexpr char kNextParameterId[] = "next_parameter_id";
inline constexpr char kTunerCheckpoint[] = "tuner_checkpoint";
inline constexpr char kImportedData[] = "imported_data";
// Why the experiment ended as ERROR (the dispatcher's traceback, ...).
inline constexpr char kError[] = "error";
// The cost probe: one value per probed architecture (kCostProbePrefix + its
// JSON as trials get it) and a summary (probed, rejected, seconds).
inline constexpr char kCostProbePrefix[] = "cost_probe:";
inline constexpr char kCostProbes[] = "cost_probes";
// The architectures the constraints rejected (their JSON, each once), for the
// tuner on resume.
inline constexpr char kCostInfeasible[] = "cost_infeasible";
}  // namespace store_keys

}  // namespace archer

#endif  // ARCHER_STORE_EXPERIMENT_FILES_H_
