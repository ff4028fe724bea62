// (Fashion-)MNIST IDX files for the example: Debian's dataset-fashion-mnist
// (gzipped, under /usr/share/datasets/fashion-mnist/) or any folder holding
// the four MNIST IDX files, gzipped or not.
//
// Gzipped files are decompressed once (zlib) into a cache folder, atomically
// (a temporary file, then rename), so concurrent trials share one copy; then
// LibTorch's standard MNIST reader reads them.
#ifndef ARCHER_EXAMPLES_MNIST_IDX_DATA_H_
#define ARCHER_EXAMPLES_MNIST_IDX_DATA_H_

#include <torch/torch.h>

#include <string>

namespace mnist_example {

constexpr char kDefaultDataDir[] = "/usr/share/datasets/fashion-mnist";

struct Split {
  torch::Tensor images;  // N x 1 x 28 x 28, float, normalised
  torch::Tensor labels;  // N, int64
};

// The training or test split, at most `limit` examples (0: all; the first
// ones, which are class-balanced enough in both datasets), normalised with the
// training set's mean and standard deviation. Throws std::runtime_error naming
// the missing or corrupt file and the package to install.
Split load_split(const std::string& data_dir, const std::string& cache_dir,
                 bool train, int64_t limit);

// Where decompressed files go by default: $XDG_CACHE_HOME/archer or
// ~/.cache/archer.
std::string default_cache_dir();

}  // namespace mnist_example

#endif  // ARCHER_EXAMPLES_MNIST_IDX_DATA_H_
