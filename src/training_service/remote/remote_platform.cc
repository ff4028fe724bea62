// The remote platform's trainingService keys (and those of each
// machineList item) and its factory (see platform.h).
#include "config/config_schema.h"
#include "training_service/platform.h"
#include "training_service/remote/remote_training_service.h"

namespace archer {

namespace {

using config::KeyType;
using config::Section;

const Section& machine_section() {
  static const Section s{
      "trainingService.machineList[]",
      {
          {"host",
           KeyType::kString,
           Json(),
           true,
           "a host name or address",
           {},
           "the SSH host"},
          {"port", KeyType::kInt, 22, false, "an integer in 1..65535",
           [](const Json& v) {
             return v.get<long long>() >= 1 && v.get<long long>() <= 65535;
           },
           "the SSH port"},
          {"user",
           KeyType::kString,
           Json(),
           true,
           "a user name",
           {},
           "the login user"},
          {"sshKeyFile",
           KeyType::kFile,
           Json(),
           false,
           "an existing private key file",
           {},
           "key authentication (give this or password)"},
          {"sshPassphrase",
           KeyType::kString,
           Json(),
           false,
           "a string",
           {},
           "the key's passphrase"},
          {"password",
           KeyType::kString,
           Json(),
           false,
           "a string",
           {},
           "password authentication (a key is safer)"},
          {"useActiveGpu",
           KeyType::kBool,
           false,
           false,
           "true or false",
           {},
           "also use GPUs other processes are using"},
          {"maxTrialNumberPerGpu", KeyType::kInt, 1, false,
           config::kPositiveInteger, config::positive_int,
           "trials sharing one GPU"},
          {"gpuIndices",
           KeyType::kIndices,
           Json(),
           false,
           "GPU indices (a list, an integer or \"0,1\")",
           {},
           "the GPUs trials may use on this host"},
          {"pythonPath",
           KeyType::kString,
           Json(),
           false,
           "a directory",
           {},
           "prepended to PATH for the trial"},
          {"checkHostKey",
           KeyType::kBool,
           true,
           false,
           "true or false",
           {},
           "Archer extension: check the host key against known_hosts (false: "
           "accept any, for throwaway hosts only)"},
          {"knownHostsFile",
           KeyType::kFile,
           Json(),
           false,
           "an existing known_hosts file",
           {},
           "Archer extension: the known_hosts to check against (default: "
           "ssh's)"},
      }};
  return s;
}

const Section& section() {
  static const Section s = [] {
    Section t{
        "trainingService",
        {
            {"platform", KeyType::kString, Json(), true, "remote",
             [](const Json& v) { return v.get<std::string>() == "remote"; },
             "where trials run: remote (SSH hosts)"},
            {"machineList", KeyType::kAny, Json(), true,
             "a non-empty list of machines",
             [](const Json& v) { return v.is_array() && !v.empty(); },
             "the SSH hosts (keys below)"},
            {"remoteDirectory", KeyType::kString, "/tmp/archer-remote", false,
             "an absolute path on the hosts",
             [](const Json& v) {
               return !v.get<std::string>().empty() &&
                      v.get<std::string>()[0] == '/';
             },
             "Archer extension: where the code and trial directories go on "
             "each host (<remoteDirectory>/<experiment id>/)"},
            {"reuseMode",
             KeyType::kBool,
             false,
             false,
             "true or false",
             {},
             "accepted for compatibility; trials always run as their own "
             "processes"},
        }};
    for (auto& k : t.keys) {
      if (k.name == "machineList") k.items = &machine_section();
    }
    return t;
  }();
  return s;
}

}  // namespace

RemoteTrainingService::Options remote_options(const ExperimentConfig& config,
                                              const PlatformContext& context) {
  const Json& ts = config.training_service;
  RemoteTrainingService::Options o;
  for (const Json& j : ts.value("machineList", Json::array())) {
    RemoteMachine r;
    r.host = section_text(j, "host");
    r.port = j.value("port", 22);
    r.user = section_text(j, "user");
    r.ssh_key_file = section_text(j, "sshKeyFile");
    r.ssh_passphrase = section_text(j, "sshPassphrase");
    r.password = section_text(j, "password");
    r.use_active_gpu = j.value("useActiveGpu", false);
    r.max_trial_number_per_gpu = j.value("maxTrialNumberPerGpu", 1);
    if (j.value("gpuIndices", Json()).is_array())
      r.gpu_indices = j["gpuIndices"].get<std::vector<int>>();
    r.python_path = section_text(j, "pythonPath");
    r.check_host_key = j.value("checkHostKey", true);
    r.known_hosts_file = section_text(j, "knownHostsFile");
    o.machines.push_back(r);
  }
  o.experiment_id = context.experiment_id;
  o.experiment_dir = context.experiment_dir;
  o.code_dir = config.trial_code_directory;
  o.remote_directory = section_text(ts, "remoteDirectory");
  if (o.remote_directory.empty()) o.remote_directory = "/tmp/archer-remote";
  o.max_parallel = config.trial_concurrency;
  o.gpus_per_trial = config.trial_gpu_number.value_or(0);
  return o;
}

PlatformSpec remote_platform() {
  PlatformSpec p;
  p.name = "remote";
  p.doc = "trials on SSH hosts (NNI's remote platform)";
  p.section = section();
  p.check = [](const Json& ts, const Json&) -> std::optional<config::KeyError> {
    const Json& list = ts["machineList"];
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i]["sshKeyFile"].is_null() && list[i]["password"].is_null()) {
        return config::KeyError{
            "/trainingService/machineList/" + std::to_string(i),
            "trainingService.machineList[" + std::to_string(i) + "]",
            "give sshKeyFile (a private key) or password"};
      }
    }
    return std::nullopt;
  };
  p.factory = [](const ExperimentConfig& config, const PlatformContext& context)
      -> StatusOr<std::unique_ptr<TrainingService>> {
    return as_service(
        RemoteTrainingService::create(remote_options(config, context)));
  };
  return p;
}

}  // namespace archer
