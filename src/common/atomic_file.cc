#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "common/bounded_file.h"

namespace archer {

namespace {

std::string parent_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Status failed(const std::string& path, const char* step, int err) {
  return Status::io_error(path + ": cannot replace it (" + step +
                          "): " + std::strerror(err) +
                          "; the previous content is kept");
}

}  // namespace

Status replace_file(const std::string& path, std::string_view content,
                    mode_t mode) {
  static std::atomic<unsigned> counter{0};
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                          std::to_string(counter++);
  UniqueFd fd(::open(
      tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (fd.get() < 0) return failed(path, "creating a temporary file", errno);
  auto give_up = [&](const char* step, int err) {
    ::unlink(tmp.c_str());
    return failed(path, step, err);
  };
  if (!write_all(fd.get(), content)) return give_up("writing", errno);
  if (::fsync(fd.get()) != 0) return give_up("flushing to disk", errno);
  if (::close(fd.release()) != 0) return give_up("closing", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return give_up("renaming into place", errno);
  // The rename itself survives a crash once the directory is synced; the
  // new content is complete either way, so a failure here is not reported.
  UniqueFd dir(
      ::open(parent_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) ::fsync(dir.get());
  return Status::ok();
}

Status write_file_in(const std::string& dir, const std::string& name,
                     std::string_view content, mode_t mode) {
  const std::string path = dir + "/" + name;
  if (name.empty() || name == "." || name == ".." ||
      name.find('/') != std::string::npos)
    return Status::invalid_argument(path + ": not a file name");
  UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.get() < 0)
    return Status::io_error(dir + ": cannot open: " + std::strerror(errno));
  if (::unlinkat(d.get(), name.c_str(), 0) != 0 && errno != ENOENT)
    return Status::io_error(path + ": cannot replace: " + std::strerror(errno));
  UniqueFd fd(::openat(d.get(), name.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       mode));
  if (fd.get() < 0 || !write_all(fd.get(), content))
    return Status::io_error(path + ": cannot write: " + std::strerror(errno));
  return Status::ok();
}

}  // namespace archer
