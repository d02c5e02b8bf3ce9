#include "coex/torch/dataset.hpp"

#include <zlib.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <random>

#include "coex/error.hpp"

namespace coex::torch_bridge {

namespace {

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
         p[3];
}

struct Raw {
  torch::Tensor train_images, train_labels, test_images, test_labels;  // uint8
  double mean = 0, std = 1;  // of the training file's pixels in [0, 1]
};

std::vector<std::int64_t> permutation(std::int64_t n, std::uint64_t seed) {
  std::vector<std::int64_t> p(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) p[static_cast<std::size_t>(i)] = i;
  std::mt19937_64 rng(seed);
  for (std::int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates with the engine's raw output: portable
    const auto j = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(i + 1));
    std::swap(p[static_cast<std::size_t>(i)], p[static_cast<std::size_t>(j)]);
  }
  return p;
}

}  // namespace

torch::Tensor read_idx_gz(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw UserError("dataset file " + path +
                    " is missing. Fix: apt-get install dataset-fashion-mnist, "
                    "or point [task] data_dir at a folder with the gzipped IDX files");
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw UserError("cannot open dataset file " + path);
  std::vector<unsigned char> data;
  unsigned char buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) data.insert(data.end(), buf, buf + n);
  const bool err = n < 0;
  gzclose(f);
  if (err || data.size() < 8)
    throw UserError("dataset file " + path + " is not a readable gzip IDX file");
  const std::uint32_t magic = be32(data.data());
  const int ndim = static_cast<int>(magic & 0xff);
  if ((magic >> 8) != 0x08 || ndim < 1 || ndim > 3)
    throw UserError("dataset file " + path + " is not an IDX file of unsigned bytes");
  std::vector<std::int64_t> dims;
  std::size_t total = 1;
  for (int d = 0; d < ndim; ++d) {
    dims.push_back(be32(data.data() + 4 + 4 * d));
    total *= static_cast<std::size_t>(dims.back());
  }
  const std::size_t off = 4 + 4 * static_cast<std::size_t>(ndim);
  if (data.size() != off + total)
    throw UserError("dataset file " + path + " is truncated (" + std::to_string(data.size()) +
                    " bytes, expected " + std::to_string(off + total) + ")");
  return torch::from_blob(data.data() + off, dims, torch::kUInt8).clone();
}

Splits load_fashion_mnist(const std::string& dir, const SplitOptions& o) {
  static std::mutex mu;
  static std::map<std::string, Raw> cache;
  Raw raw;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(dir);
    if (it == cache.end()) {
      const std::filesystem::path d(dir);
      Raw r;
      r.train_images = read_idx_gz((d / "train-images-idx3-ubyte.gz").string());
      r.train_labels = read_idx_gz((d / "train-labels-idx1-ubyte.gz").string());
      r.test_images = read_idx_gz((d / "t10k-images-idx3-ubyte.gz").string());
      r.test_labels = read_idx_gz((d / "t10k-labels-idx1-ubyte.gz").string());
      if (r.train_images.size(0) != r.train_labels.size(0) ||
          r.test_images.size(0) != r.test_labels.size(0))
        throw UserError("dataset in " + dir + ": image and label counts differ");
      // Normalise with the statistics of the whole training file (a property of the dataset).
      const auto all = r.train_images.to(torch::kFloat32).div_(255.0);
      r.mean = all.mean().item<double>();
      r.std = all.std().item<double>();
      it = cache.emplace(dir, r).first;
    }
    raw = it->second;
  }
  // The class subset: indices of the kept images and labels remapped to 0..K-1.
  auto subset = [&](const torch::Tensor& labels) {
    if (o.labels.empty()) return std::make_pair(torch::Tensor(), labels.to(torch::kInt64));
    auto map = torch::full({256}, -1, torch::kInt64);
    for (std::size_t k = 0; k < o.labels.size(); ++k) {
      if (o.labels[k] < 0 || o.labels[k] > 255)
        throw UserError("class label " + std::to_string(o.labels[k]) + " is out of range");
      map[o.labels[k]] = static_cast<std::int64_t>(k);
    }
    const auto mapped = map.index_select(0, labels.to(torch::kInt64));
    const auto keep = mapped.ge(0).nonzero().squeeze(1);
    return std::make_pair(keep, mapped.index_select(0, keep));
  };
  const auto [train_keep, train_labels] = subset(raw.train_labels);
  const auto [test_keep, test_labels] = subset(raw.test_labels);
  auto pick = [](const torch::Tensor& images, const torch::Tensor& keep) {
    return keep.defined() ? images.index_select(0, keep) : images;
  };
  const auto train_images = pick(raw.train_images, train_keep);
  const auto test_images = pick(raw.test_images, test_keep);

  const std::int64_t n_train = train_labels.size(0);
  if (o.train_size <= 0 || o.validation_size <= 0 || o.train_size + o.validation_size > n_train)
    throw UserError(
        "train_size + validation_size = " + std::to_string(o.train_size + o.validation_size) +
        " must be within (0, " + std::to_string(n_train) + "] for the dataset in " + dir +
        (o.labels.empty() ? std::string() : " restricted to the task's labels"));
  const auto perm = permutation(n_train, o.split_seed);
  auto idx = [&](std::int64_t from, std::int64_t count) {
    return torch::from_blob(const_cast<std::int64_t*>(perm.data() + from), {count}, torch::kInt64)
        .clone();
  };
  const auto val_idx = idx(0, o.validation_size);
  const auto train_idx = idx(o.validation_size, o.train_size);
  const double mean = o.unit_range ? 0.0 : raw.mean, std = o.unit_range ? 1.0 : raw.std;
  auto prep = [&](const torch::Tensor& images) {
    auto x = images.to(torch::kFloat32).div_(255.0).sub_(mean).div_(std).unsqueeze(1);
    if (o.resize > 0 && o.resize != x.size(2))
      x = torch::nn::functional::interpolate(
          x, torch::nn::functional::InterpolateFuncOptions()
                 .size(std::vector<std::int64_t>{o.resize, o.resize})
                 .mode(torch::kBilinear)
                 .align_corners(false)
                 .antialias(o.resize < x.size(2)));
    return x.contiguous();
  };
  Splits s;
  s.train = {prep(train_images.index_select(0, train_idx)),
             train_labels.index_select(0, train_idx)};
  s.validation = {prep(train_images.index_select(0, val_idx)),
                  train_labels.index_select(0, val_idx)};
  const std::int64_t n_test =
      o.test_size > 0 ? std::min(o.test_size, test_labels.size(0)) : test_labels.size(0);
  s.test = {prep(test_images.slice(0, 0, n_test)), test_labels.slice(0, 0, n_test)};
  return s;
}

}  // namespace coex::torch_bridge
