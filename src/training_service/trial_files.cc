#include "training_service/trial_files.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>

#include "common/bounded_file.h"
#include "common/time_util.h"

namespace archer {

Status write_text_file(const std::string& path, const std::string& text,
                       mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return Status::io_error(path + ": cannot write: " + std::strerror(errno));
  if (!write_all(fd, text)) {
    int err = errno;
    ::close(fd);
    return Status::io_error(path + ": write failed: " + std::strerror(err));
  }
  ::fchmod(fd, mode);  // also when the file existed with another mode
  ::close(fd);
  return Status::ok();
}

Status write_trial_directory(const std::string& dir,
                             const std::string& parameter_record,
                             const std::string& script) {
  std::error_code ec;
  std::filesystem::create_directories(dir + "/.nni", ec);
  if (ec)
    return Status::io_error(dir + "/.nni: cannot create: " + ec.message());
  Status st = write_text_file(dir + "/.nni/metrics", "");
  if (st.is_ok())
    st = write_text_file(dir + "/parameter.cfg", parameter_record);
  if (st.is_ok()) st = write_text_file(dir + "/run.sh", script, 0755);
  return st;
}

TrialEvent started_event(const std::string& trial_id,
                         const std::string& handle) {
  TrialEvent ev;
  ev.kind = TrialEvent::Kind::kStarted;
  ev.trial_id = trial_id;
  ev.time_ms = now_ms();
  ev.handle = handle;
  return ev;
}

TrialEvent ended_event(const std::string& trial_id, TrialStatus status,
                       std::optional<int> exit_code, std::int64_t time_ms,
                       const std::string& message) {
  TrialEvent ev;
  ev.kind = TrialEvent::Kind::kEnded;
  ev.trial_id = trial_id;
  ev.status = status;
  ev.exit_code = exit_code;
  ev.time_ms = time_ms > 0 ? time_ms : now_ms();
  ev.message = message;
  return ev;
}

TrialEvent exit_state_event(const std::string& trial_id,
                            const ExitState& state) {
  const bool ok = state.code == 0;
  return ended_event(trial_id,
                     ok ? TrialStatus::kSucceeded : TrialStatus::kFailed,
                     static_cast<int>(state.code), state.time_ms,
                     ok ? "" : "exit code " + std::to_string(state.code));
}

bool CancelState::request(TrialStatus reason, std::chrono::milliseconds grace) {
  if (status) return false;
  status = reason;
  kill_at = std::chrono::steady_clock::now() + grace;
  return true;
}

bool CancelState::kill_due(std::chrono::steady_clock::time_point now) {
  if (!kill_at || *kill_at > now) return false;
  kill_at.reset();
  return true;
}

void CancelState::apply(TrialEvent& ended) const {
  if (!status) return;
  ended.status = *status;
  ended.message = "cancelled";
}

void wait_readable(std::initializer_list<int> fds,
                   std::chrono::steady_clock::time_point until) {
  std::vector<struct pollfd> p;
  for (int fd : fds) p.push_back({fd, POLLIN, 0});
  const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                        until - std::chrono::steady_clock::now())
                        .count();
  ::poll(p.data(), p.size(), static_cast<int>(std::max<long long>(1, wait)));
}

bool fd_readable(int fd) {
  if (fd < 0) return false;
  struct pollfd p = {fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

std::vector<TrialEvent> take_events(std::deque<TrialEvent>& ready) {
  std::vector<TrialEvent> out(std::make_move_iterator(ready.begin()),
                              std::make_move_iterator(ready.end()));
  ready.clear();
  return out;
}

void set_trial_threads(TrialSpec& spec, unsigned cores, int sharing) {
  if (spec.env.count("OMP_NUM_THREADS")) return;
  if (const char* user = std::getenv("OMP_NUM_THREADS")) {
    spec.env["OMP_NUM_THREADS"] = user;
    return;
  }
  const unsigned n =
      std::max(1u, cores / static_cast<unsigned>(std::max(1, sharing)));
  spec.env["OMP_NUM_THREADS"] = std::to_string(n);
}

}  // namespace archer
