#include "idx_data.h"

#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>

namespace mnist_example {

namespace fs = std::filesystem;

namespace {

const char* const kFiles[] = {
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

std::runtime_error data_error(const std::string& what) {
  return std::runtime_error(
      what +
      " (Fashion-MNIST: apt-get install dataset-fashion-mnist; or point "
      "--data_dir at a folder with the four MNIST IDX files)");
}

// Decompresses `gz` into `out` through a temporary file in the same folder.
void gunzip(const std::string& gz, const std::string& out) {
  gzFile in = gzopen(gz.c_str(), "rb");
  if (!in) throw data_error(gz + ": cannot open");
  const std::string tmp = out + ".tmp." + std::to_string(::getpid());
  std::ofstream dst(tmp, std::ios::binary | std::ios::trunc);
  if (!dst) {
    gzclose(in);
    throw std::runtime_error(tmp + ": cannot write the decompressed copy");
  }
  char buf[1 << 16];
  int n;
  while ((n = gzread(in, buf, sizeof(buf))) > 0) dst.write(buf, n);
  int err = 0;
  const char* msg = gzerror(in, &err);
  const bool bad = n < 0 || (err != Z_OK && err != Z_STREAM_END);
  const std::string why = bad && msg ? msg : "";
  gzclose(in);
  dst.close();
  if (bad || !dst) {
    fs::remove(tmp);
    throw data_error(gz + ": corrupt gzip data" +
                     (why.empty() ? "" : " (" + why + ")"));
  }
  fs::rename(tmp, out);
}

// A folder holding the four uncompressed files: `data_dir` itself, or the
// cache folder for it (filled from the .gz files).
std::string readable_root(const std::string& data_dir,
                          const std::string& cache_dir) {
  bool all_plain = true;
  for (const char* f : kFiles)
    all_plain = all_plain && fs::exists(fs::path(data_dir) / f);
  if (all_plain) return data_dir;
  const std::string abs = fs::absolute(data_dir).lexically_normal().string();
  const std::string cache =
      cache_dir + "/datasets/" + std::to_string(std::hash<std::string>{}(abs));
  fs::create_directories(cache);
  for (const char* f : kFiles) {
    const fs::path plain = fs::path(data_dir) / f;
    const fs::path gz = fs::path(data_dir) / (std::string(f) + ".gz");
    const fs::path cached = fs::path(cache) / f;
    if (fs::exists(plain)) {
      if (!fs::exists(cached)) fs::copy_file(plain, cached);
    } else if (fs::exists(gz)) {
      if (!fs::exists(cached) ||
          fs::last_write_time(cached) < fs::last_write_time(gz)) {
        gunzip(gz.string(), cached.string());
      }
    } else {
      throw data_error(plain.string() + "(.gz): not found");
    }
  }
  return cache;
}

}  // namespace

std::string default_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/archer";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/tmp") + "/.cache/archer";
}

Split load_split(const std::string& data_dir, const std::string& cache_dir,
                 bool train, int64_t limit) {
  const std::string root = readable_root(data_dir, cache_dir);
  torch::Tensor images, labels, train_images;
  try {
    torch::data::datasets::MNIST split(
        root, train ? torch::data::datasets::MNIST::Mode::kTrain
                    : torch::data::datasets::MNIST::Mode::kTest);
    images = split.images();
    labels = split.targets();
    // Normalise with the training set's statistics (as NNI's 0.1307/0.3081
    // are MNIST's).
    train_images = train ? images
                         : torch::data::datasets::MNIST(
                               root, torch::data::datasets::MNIST::Mode::kTrain)
                               .images();
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    throw data_error(root + ": not valid MNIST IDX files: " +
                     what.substr(0, what.find('\n')));
  }
  const double mean = train_images.mean().item<double>();
  const double std = train_images.std().item<double>();
  if (limit > 0 && limit < images.size(0)) {
    images = images.narrow(0, 0, limit);
    labels = labels.narrow(0, 0, limit);
  }
  return Split{((images - mean) / std).contiguous(), labels.contiguous()};
}

}  // namespace mnist_example
