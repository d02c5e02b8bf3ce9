#include "coex/torch/dataset.hpp"

#include <stb/stb_image.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

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
  torch::Tensor train_images, train_labels, test_images, test_labels;  // uint8 [N, C, H, W]
  torch::Tensor mean, std;  // [C]: of the training images' pixels in [0, 1]
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

namespace fs = std::filesystem;

/// Where each dataset comes from, for the messages about a missing or malformed file.
std::string source_of(const std::string& name) {
  if (name == "fashion_mnist")
    return "apt-get install dataset-fashion-mnist, or point [task] data_dir at a folder with the "
           "IDX files of https://github.com/zalandoresearch/fashion-mnist";
  if (name == "mnist")
    return "point [task] data_dir at a folder with the four IDX files of "
           "http://yann.lecun.com/exdb/mnist/ (train-images-idx3-ubyte.gz, "
           "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; "
           "gzipped or not)";
  if (name == "cifar10")
    return "unpack the binary version of CIFAR-10 (cifar-10-binary.tar.gz from "
           "https://www.cs.toronto.edu/~kriz/cifar.html) and point [task] data_dir at its "
           "cifar-10-batches-bin folder (data_batch_1.bin ... data_batch_5.bin, test_batch.bin)";
  if (name == "cifar100")
    return "unpack the binary version of CIFAR-100 (cifar-100-binary.tar.gz from "
           "https://www.cs.toronto.edu/~kriz/cifar.html) and point [task] data_dir at its "
           "cifar-100-binary folder (train.bin, test.bin)";
  return "point [task] data_dir at a folder with train/<class>/ and test/<class>/ subfolders of "
         "PNG or JPEG images (the same class names in both)";
}

/// `dir`/`name`, or `dir`/`name`.gz; throws naming the first if neither exists.
fs::path find(const fs::path& dir, const std::string& name, const std::string& what,
              const std::string& dataset) {
  for (const fs::path& p : {dir / name, dir / (name + ".gz")})
    if (fs::is_regular_file(p)) return p;
  throw UserError("dataset file " +
                  (dir / (name + (dataset == "fashion_mnist" ? ".gz" : ""))).string() +
                  " is missing (expected " + what + "). Fix: " + source_of(dataset));
}

/// The whole file, gunzipped if it is gzip (zlib reads plain files unchanged).
std::vector<unsigned char> read_all(const fs::path& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    throw UserError("cannot open dataset file " + path.string() + ": " + std::strerror(errno));
  std::vector<unsigned char> data;
  unsigned char buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) data.insert(data.end(), buf, buf + n);
  const bool err = n < 0;
  gzclose(f);
  if (err) throw UserError("dataset file " + path.string() + " is not readable (corrupt gzip?)");
  return data;
}

/// Per-channel mean and standard deviation of uint8 images [N, C, H, W], as pixels in [0, 1].
void statistics(Raw& r) {
  const auto x = r.train_images.to(torch::kFloat32)
                     .div_(255.0)
                     .transpose(0, 1)
                     .reshape({r.train_images.size(1), -1});
  r.mean = x.mean(1);
  r.std = x.std(1).clamp_min(1e-6);
}

void check_counts(const Raw& r, const std::string& dir) {
  if (r.train_images.size(0) != r.train_labels.size(0) ||
      r.test_images.size(0) != r.test_labels.size(0))
    throw UserError("dataset in " + dir + ": image and label counts differ");
  if (r.train_images.size(0) == 0 || r.test_images.size(0) == 0)
    throw UserError("dataset in " + dir + " has no training or no test images");
}

/// MNIST and Fashion-MNIST: four IDX files.
Raw load_idx(const std::string& dataset, const fs::path& dir) {
  auto images = [&](const std::string& n) {
    const auto t = read_idx_gz(find(dir, n, "an IDX file of 28x28 images", dataset).string());
    if (t.dim() != 3)
      throw UserError("dataset file " + (dir / n).string() + " holds labels, not images");
    return t.unsqueeze(1);
  };
  auto labels = [&](const std::string& n) {
    const auto t = read_idx_gz(find(dir, n, "an IDX file of labels", dataset).string());
    if (t.dim() != 1)
      throw UserError("dataset file " + (dir / n).string() + " holds images, not labels");
    return t;
  };
  Raw r;
  r.train_images = images("train-images-idx3-ubyte");
  r.train_labels = labels("train-labels-idx1-ubyte");
  r.test_images = images("t10k-images-idx3-ubyte");
  r.test_labels = labels("t10k-labels-idx1-ubyte");
  return r;
}

/// CIFAR-10 / CIFAR-100 binary: records of label byte(s) then 3,072 bytes (R, G, B planes of
/// 32x32). CIFAR-100 has a coarse and a fine label; the fine one (100 classes) is used.
Raw load_cifar(const std::string& dataset, const fs::path& dir) {
  const bool hundred = dataset == "cifar100";
  const std::size_t label_bytes = hundred ? 2 : 1, record = label_bytes + 3072;
  auto read = [&](const std::vector<std::string>& files, torch::Tensor& images,
                  torch::Tensor& labels) {
    std::vector<unsigned char> all_images, all_labels;
    for (const auto& name : files) {
      const fs::path p =
          find(dir, name,
               "records of " + std::to_string(label_bytes) + " label byte(s) and 3,072 pixel bytes",
               dataset);
      const auto data = read_all(p);
      if (data.empty() || data.size() % record != 0)
        throw UserError("dataset file " + p.string() + " is malformed: " +
                        std::to_string(data.size()) + " bytes is not a whole number of " +
                        std::to_string(record) + "-byte records. Fix: " + source_of(dataset));
      for (std::size_t i = 0; i < data.size(); i += record) {
        const unsigned char label = data[i + label_bytes - 1];
        if (label >= (hundred ? 100 : 10))
          throw UserError("dataset file " + p.string() + ": record " + std::to_string(i / record) +
                          " has label " + std::to_string(label) + ". Fix: " + source_of(dataset));
        all_labels.push_back(label);
        all_images.insert(all_images.end(),
                          data.begin() + static_cast<std::ptrdiff_t>(i + label_bytes),
                          data.begin() + static_cast<std::ptrdiff_t>(i + record));
      }
    }
    const auto n = static_cast<std::int64_t>(all_labels.size());
    images = torch::from_blob(all_images.data(), {n, 3, 32, 32}, torch::kUInt8).clone();
    labels = torch::from_blob(all_labels.data(), {n}, torch::kUInt8).clone();
  };
  Raw r;
  if (hundred) {
    read({"train.bin"}, r.train_images, r.train_labels);
    read({"test.bin"}, r.test_images, r.test_labels);
  } else {
    read({"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
          "data_batch_5.bin"},
         r.train_images, r.train_labels);
    read({"test_batch.bin"}, r.test_images, r.test_labels);
  }
  return r;
}

/// The classes of an image folder: the subfolders of `dir`/train, sorted by name.
std::vector<std::string> folder_classes(const fs::path& dir) {
  const fs::path train = dir / "train";
  if (!fs::is_directory(train))
    throw UserError("image folder " + train.string() +
                    " is missing. Fix: " + source_of("image_folder"));
  std::vector<std::string> classes;
  for (const auto& e : fs::directory_iterator(train))
    if (e.is_directory()) classes.push_back(e.path().filename().string());
  std::sort(classes.begin(), classes.end());
  if (classes.size() < 2)
    throw UserError("image folder " + train.string() + " has " + std::to_string(classes.size()) +
                    " class subfolder(s); a classification task needs at least 2. Fix: " +
                    source_of("image_folder"));
  return classes;
}

/// One subfolder per class; every PNG or JPEG decoded to RGB and resized to side x side.
Raw load_folder(const fs::path& dir, int side) {
  if (side <= 0)
    throw UserError("dataset image_folder needs [task] resize (the side images are scaled to)");
  const auto classes = folder_classes(dir);
  auto read = [&](const std::string& split, torch::Tensor& images, torch::Tensor& labels) {
    std::vector<torch::Tensor> xs;
    std::vector<std::int64_t> ys;
    for (std::size_t k = 0; k < classes.size(); ++k) {
      const fs::path folder = dir / split / classes[k];
      if (!fs::is_directory(folder))
        throw UserError("image folder " + folder.string() +
                        " is missing: the test split needs "
                        "the training split's classes. Fix: " +
                        source_of("image_folder"));
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(folder)) {
        std::string ext = e.path().extension().string();
        for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (e.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg"))
          files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        int w = 0, h = 0, c = 0;
        unsigned char* px = stbi_load(f.c_str(), &w, &h, &c, 3);
        if (!px)
          throw UserError("image " + f.string() + " cannot be decoded (" + stbi_failure_reason() +
                          "). Fix: remove it or replace it with a valid PNG or JPEG");
        auto t =
            torch::from_blob(px, {h, w, 3}, torch::kUInt8).permute({2, 0, 1}).to(torch::kFloat32);
        stbi_image_free(px);
        t = torch::nn::functional::interpolate(t.unsqueeze(0),
                                               torch::nn::functional::InterpolateFuncOptions()
                                                   .size(std::vector<std::int64_t>{side, side})
                                                   .mode(torch::kBilinear)
                                                   .align_corners(false)
                                                   .antialias(side < std::max(w, h)))
                .squeeze(0);
        xs.push_back(t.round_().clamp_(0, 255).to(torch::kUInt8));
        ys.push_back(static_cast<std::int64_t>(k));
      }
    }
    if (xs.empty())
      throw UserError("image folder " + (dir / split).string() + " holds no PNG or JPEG image");
    images = torch::stack(xs);
    labels = torch::tensor(ys, torch::kInt64);
  };
  Raw r;
  read("train", r.train_images, r.train_labels);
  read("test", r.test_images, r.test_labels);
  return r;
}

}  // namespace

int dataset_channels(const std::string& name) {
  if (name == "mnist" || name == "fashion_mnist") return 1;
  if (name == "cifar10" || name == "cifar100" || name == "image_folder") return 3;
  return 0;
}

torch::Tensor read_idx_gz(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw UserError("dataset file " + path +
                    " is missing. Fix: apt-get install dataset-fashion-mnist, "
                    "or point [task] data_dir at a folder with the gzipped IDX files");
  const std::vector<unsigned char> data = read_all(path);
  if (data.size() < 8) throw UserError("dataset file " + path + " is not an IDX file (too short)");
  const std::uint32_t magic = be32(data.data());
  const int ndim = static_cast<int>(magic & 0xff);
  if ((magic >> 8) != 0x08 || ndim < 1 || ndim > 3)
    throw UserError("dataset file " + path + " is not an IDX file of unsigned bytes");
  if (data.size() < 4 + 4 * static_cast<std::size_t>(ndim))
    throw UserError("dataset file " + path + " is truncated (no room for its dimensions)");
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
  return torch::from_blob(const_cast<unsigned char*>(data.data()) + off, dims, torch::kUInt8)
      .clone();
}

Splits load_fashion_mnist(const std::string& dir, const SplitOptions& o) {
  return load_dataset("fashion_mnist", dir, o);
}

Splits load_dataset(const std::string& name, const std::string& dir, const SplitOptions& o) {
  if (!dataset_channels(name))
    throw UserError("unknown dataset '" + name +
                    "'. Known: mnist, fashion_mnist, cifar10, cifar100, image_folder");
  static std::mutex mu;
  static std::map<std::string, Raw> cache;
  Raw raw;
  {
    std::lock_guard<std::mutex> lock(mu);
    // An image folder is decoded at one size: the size is part of its key.
    const std::string key =
        name + "|" + dir + (name == "image_folder" ? "|" + std::to_string(o.resize) : "");
    auto it = cache.find(key);
    if (it == cache.end()) {
      Raw r = name == "image_folder"                    ? load_folder(dir, o.resize)
              : name == "cifar10" || name == "cifar100" ? load_cifar(name, dir)
                                                        : load_idx(name, dir);
      check_counts(r, dir);
      r.train_labels = r.train_labels.to(torch::kInt64);
      r.test_labels = r.test_labels.to(torch::kInt64);
      // Normalise with the statistics of all training images (a property of the dataset).
      statistics(r);
      it = cache.emplace(key, r).first;
    }
    raw = it->second;
  }
  // The class subset: indices of the kept images and labels remapped to 0..K-1.
  auto subset = [&](const torch::Tensor& labels) {
    if (o.labels.empty()) return std::make_pair(torch::Tensor(), labels);
    auto map = torch::full({256}, -1, torch::kInt64);
    for (std::size_t k = 0; k < o.labels.size(); ++k) {
      if (o.labels[k] < 0 || o.labels[k] > 255)
        throw UserError("class label " + std::to_string(o.labels[k]) + " is out of range");
      map[o.labels[k]] = static_cast<std::int64_t>(k);
    }
    const auto mapped = map.index_select(0, labels);
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
  // train_size 0: every training image not held out for validation.
  const std::int64_t train_size = o.train_size > 0 ? o.train_size : n_train - o.validation_size;
  if (o.train_size < 0 || o.validation_size < 0 || train_size <= 0 ||
      train_size + o.validation_size > n_train)
    throw UserError(
        "train_size + validation_size = " + std::to_string(train_size + o.validation_size) +
        " must be within (0, " + std::to_string(n_train) + "] for the dataset in " + dir +
        (o.labels.empty() ? std::string() : " restricted to the task's labels"));
  const auto perm = permutation(n_train, o.split_seed);
  auto idx = [&](std::int64_t from, std::int64_t count) {
    return torch::from_blob(const_cast<std::int64_t*>(perm.data() + from), {count}, torch::kInt64)
        .clone();
  };
  const auto val_idx = idx(0, o.validation_size);
  const auto train_idx = idx(o.validation_size, train_size);
  const std::int64_t channels = raw.train_images.size(1);
  const auto mean = o.unit_range ? torch::zeros({channels}) : raw.mean;
  const auto std = o.unit_range ? torch::ones({channels}) : raw.std;
  auto prep = [&](const torch::Tensor& images) {
    auto x = images.to(torch::kFloat32)
                 .div_(255.0)
                 .sub_(mean.view({1, channels, 1, 1}))
                 .div_(std.view({1, channels, 1, 1}));
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
  for (std::int64_t c = 0; c < channels; ++c) {
    s.mean.push_back(mean[c].item<double>());
    s.std.push_back(std[c].item<double>());
  }
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
