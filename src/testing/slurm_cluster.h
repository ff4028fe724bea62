// A throwaway single-node Slurm cluster for tests: munged, slurmctld -D and
// slurmd -D started by hand (no systemd) on 127.0.0.1 with free ports, a
// private munge socket and state directory, stopped by PID. Requires root and
// the slurm-wlm and munge packages; available() says whether it came up (the
// node idle), why_unavailable() why not.
#ifndef ARCHER_TESTING_SLURM_CLUSTER_H_
#define ARCHER_TESTING_SLURM_CLUSTER_H_

#include <sys/types.h>

#include <map>
#include <string>

#include "testing/temp_dir.h"

namespace archer {
namespace testing {

class SlurmCluster {
 public:
  SlurmCluster();
  ~SlurmCluster();
  bool available() const { return ctld_ > 0 && slurmd_ > 0; }
  const std::string& why_unavailable() const { return why_; }
  // The environment the Slurm commands need (SLURM_CONF).
  std::map<std::string, std::string> env() const {
    return {{"SLURM_CONF", dir_.file("slurm.conf")}};
  }
  // Runs a Slurm command line (sh syntax) with env(); its exit status.
  int run(const std::string& command) const;
  // Stops slurmctld and starts it again on the same state (jobs survive).
  bool restart_controller();
  void stop();

 private:
  bool start_controller();
  bool wait_idle();
  TempDir dir_;
  pid_t munged_ = -1, ctld_ = -1, slurmd_ = -1;
  std::string why_;
};

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_SLURM_CLUSTER_H_
