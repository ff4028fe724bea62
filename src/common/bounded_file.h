// Reading files that someone else controls (a trial, a user, another
// process) without being blocked, exhausted or led elsewhere: every open is
// O_NONBLOCK (a FIFO cannot hang us), checked with fstat to be a regular file
// (no FIFO, device or directory), and read in bounded amounts.
#ifndef ARCHER_COMMON_BOUNDED_FILE_H_
#define ARCHER_COMMON_BOUNDED_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "archer/status.h"

namespace archer {

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// Reads the whole of `path` (symlinks followed: a user's own file). Fails
// with kNotFound if it does not exist, kInvalidArgument if it is not a regular
// file or is larger than `max_bytes`, kIoError otherwise. Never blocks.
StatusOr<std::string> read_regular_file(const std::string& path,
                                        size_t max_bytes);

// Opens `relative` (e.g. ".nni/metrics") under the directory `root` for
// reading, following no symlink below `root` (each component is opened with
// O_NOFOLLOW; ".." and absolute paths are refused), and requires a regular
// file. `root` itself may be a symlink (Archer makes some). kNotFound if a
// component is missing; kInvalidArgument (naming the path and what it is) if
// a component is a symlink, or the file is not regular.
StatusOr<UniqueFd> open_beneath(const std::string& root,
                                std::string_view relative);

// open_beneath() + read_at(): the first `max_bytes` of the file (a longer file
// is cut, not refused: for small state files like .nni/state).
StatusOr<std::string> read_beneath(const std::string& root,
                                   std::string_view relative, size_t max_bytes);

// Writes all of `data` to `fd` (EINTR retried, short writes continued).
// False on failure with errno set (ENOSPC when the system wrote nothing).
bool write_all(int fd, std::string_view data);

// Reads up to `max_bytes` from `fd` at `offset` (pread, EINTR retried).
StatusOr<std::string> read_at(int fd, std::uint64_t offset, size_t max_bytes,
                              const std::string& what);

// The file's size (fstat).
StatusOr<std::uint64_t> file_size(int fd, const std::string& what);

}  // namespace archer

#endif  // ARCHER_COMMON_BOUNDED_FILE_H_
