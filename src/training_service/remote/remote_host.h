// One machine of the remote platform: its shared SSH connection, the trial
// code uploaded once, and a watcher — one long-lived shell on the host that
// streams back, every 200 ms, what the trials appended to .nni/metrics, the
// exit state each one wrote, and the trials whose process died without one.
//
// Watcher lines (parsed by the service): "M <trial> <base64 bytes>",
// "S <trial> <exit code> <epoch ms>", "D <trial>"; when the watcher's ssh ends
// (host down, connection lost) the reader queues "X <reason>".
#ifndef ARCHER_TRAINING_SERVICE_REMOTE_REMOTE_HOST_H_
#define ARCHER_TRAINING_SERVICE_REMOTE_REMOTE_HOST_H_

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "archer/status.h"
#include "training_service/code_files.h"
#include "training_service/remote/ssh_host.h"

namespace archer {

// Lines from every host's watcher, for the service's poll().
struct RemoteInbox {
  struct Line {
    size_t host;
    int generation;  // which watcher of that host sent it
    std::string text;
  };
  std::mutex mu;
  std::deque<Line> lines;
  int event_fd = -1;
  void push(Line line);
  std::vector<Line> take();
};

class RemoteHost {
 public:
  // `root`: the experiment's directory on the host (code/ and trials/ under
  // it).
  RemoteHost(size_t index, SshMachine machine, std::string python_path,
             std::string control_dir, std::string root,
             std::shared_ptr<RemoteInbox> inbox);
  ~RemoteHost();

  // Connects, uploads `code_dir` (once per host, skipped when that version
  // is there already; .nniignore honoured; at most 2,000 files and 300 MB, as
  // NNI) and starts the watcher.
  Status bring_up(const std::string& code_dir);
  // Stops the watcher and drops the connection (trials on the host go on).
  void take_down();
  bool up() const { return ssh_ != nullptr; }
  SshHost& ssh() { return *ssh_; }
  const SshMachine& machine() const { return machine_; }
  const std::string& python_path() const { return python_path_; }
  const std::string& root() const { return root_; }
  // Where the uploaded code is: <root>/code/<fingerprint> (code_files.h).
  const std::string& code_path() const { return code_path_; }
  int generation() const { return generation_; }

  int running = 0;  // trials of ours on it
  std::chrono::steady_clock::time_point retry_at{};
  std::chrono::seconds backoff{1};
  std::string last_error;

 private:
  Status upload(const std::string& code_dir);
  Status start_watcher();
  void stop_watcher();

  size_t index_;
  SshMachine machine_;
  std::string python_path_;
  std::string control_dir_;
  std::string root_;
  std::shared_ptr<RemoteInbox> inbox_;
  std::unique_ptr<SshHost> ssh_;
  bool uploaded_ = false;
  std::string code_path_;
  int generation_ = 0;
  pid_t watcher_ = -1;
  std::thread reader_;
};

// The watcher's shell script for trial directories under `trials_dir`: lines
// "M <id> <base64 of new .nni/metrics bytes>", "S <id> <exit code> <ms>",
// "D <id>" (died without a state) and "H" (heartbeat). It waits on inotify
// when the host has inotifywait (unless ARCHER_WATCH_POLL is set), else polls
// every 200 ms.
std::string remote_watcher_script(const std::string& trials_dir);

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_REMOTE_REMOTE_HOST_H_
