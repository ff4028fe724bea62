// A tiny tmpfs mounted for a test (root only): a real "No space left on
// device" without filling the machine's disk. Unmounted on destruction.
#ifndef ARCHER_TESTING_SMALL_DISK_H_
#define ARCHER_TESTING_SMALL_DISK_H_

#include <sys/mount.h>
#include <unistd.h>

#include <string>

#include "testing/temp_dir.h"

namespace archer {
namespace testing {

class SmallDisk {
 public:
  // `kib` KiB of space at path(); mounted() is false where mounting is not
  // allowed (not root, no CAP_SYS_ADMIN): the test then skips.
  explicit SmallDisk(int kib) {
    const std::string options = "size=" + std::to_string(kib) + "k";
    mounted_ = ::geteuid() == 0 && ::mount("tmpfs", dir_.path().c_str(),
                                           "tmpfs", 0, options.c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& path() const { return dir_.path(); }
  std::string file(const std::string& name) const { return dir_.file(name); }
  // Fills what is left with one file (`name`), so that the next write fails.
  void fill(const std::string& name = "filler") const {
    const std::string block(4096, 'x');
    FILE* f = std::fopen(file(name).c_str(), "wb");
    if (!f) return;
    while (std::fwrite(block.data(), 1, block.size(), f) == block.size() &&
           std::fflush(f) == 0) {
    }
    std::fclose(f);
  }

 private:
  TempDir dir_;
  bool mounted_ = false;
};

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_SMALL_DISK_H_
