// The dataset readers on small synthetic files written here in each format (IDX raw and gzipped,
// CIFAR-10 and CIFAR-100 binary records, an image folder of PNG and JPEG files): shapes, labels,
// pixel values and the messages for missing and malformed files.
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>
#include <zlib.h>

#include <fstream>

#include "coex/core/config.hpp"
#include "coex/error.hpp"
#include "coex/torch/dataset.hpp"
#include "test_support.hpp"

using namespace coex;
using namespace coex::test;
namespace tb = coex::torch_bridge;

namespace {

void put_be32(std::string& s, std::uint32_t v) {
  for (int k = 3; k >= 0; --k) s.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
}

/// An IDX file of unsigned bytes: images [n, 28, 28] where image i is filled with value
/// (i * 7) % 256, or labels [n] of i % 10. Gzipped when `gz`.
void write_idx(const fs::path& p, std::uint32_t n, bool images, bool gz) {
  std::string s;
  put_be32(s, 0x0800u | (images ? 3u : 1u));
  put_be32(s, n);
  if (images) {
    put_be32(s, 28);
    put_be32(s, 28);
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    if (images)
      s.append(28 * 28, static_cast<char>((i * 7) % 256));
    else
      s.push_back(static_cast<char>(i % 10));
  }
  if (gz) {
    gzFile f = gzopen(p.c_str(), "wb");
    gzwrite(f, s.data(), static_cast<unsigned>(s.size()));
    gzclose(f);
  } else {
    std::ofstream(p, std::ios::binary) << s;
  }
}

/// CIFAR records: label byte(s), then R, G and B planes of 32x32 filled with r, g, b; record i
/// has fine label `first_label + i` (mod classes) and r = i, g = 100, b = 200.
void write_cifar(const fs::path& p, int records, int label_bytes, int classes, int first_label) {
  std::string s;
  for (int i = 0; i < records; ++i) {
    const int label = (first_label + i) % classes;
    if (label_bytes == 2) s.push_back(static_cast<char>(label / 5));  // coarse
    s.push_back(static_cast<char>(label));
    s.append(1024, static_cast<char>(i));
    s.append(1024, static_cast<char>(100));
    s.append(1024, static_cast<char>(200));
  }
  std::ofstream(p, std::ios::binary) << s;
}

/// A solid-colour image of w x h as PNG or JPEG.
void write_image(const fs::path& p, int w, int h, unsigned char r, unsigned char g,
                 unsigned char b) {
  std::vector<unsigned char> px;
  for (int i = 0; i < w * h; ++i) px.insert(px.end(), {r, g, b});
  const bool ok = p.extension() == ".png"
                      ? stbi_write_png(p.c_str(), w, h, 3, px.data(), w * 3) != 0
                      : stbi_write_jpg(p.c_str(), w, h, 3, px.data(), 95) != 0;
  ASSERT_TRUE(ok) << p;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(Datasets, MnistIdxFilesRawOrGzipped) {
  TempDir d;
  write_idx(d / "train-images-idx3-ubyte", 30, true, false);
  write_idx(d / "train-labels-idx1-ubyte.gz", 30, false, true);
  write_idx(d / "t10k-images-idx3-ubyte.gz", 10, true, true);
  write_idx(d / "t10k-labels-idx1-ubyte", 10, false, false);
  tb::SplitOptions o;
  o.train_size = 20;
  o.validation_size = 10;
  o.unit_range = true;
  const auto s = tb::load_dataset("mnist", d.path().string(), o);
  EXPECT_EQ(s.train.images.sizes(), (std::vector<std::int64_t>{20, 1, 28, 28}));
  EXPECT_EQ(s.test.size(), 10);
  // Test image i is filled with (7 i) / 255, its label is i % 10.
  for (std::int64_t i = 0; i < 10; ++i) {
    EXPECT_FLOAT_EQ(s.test.images[i][0][5][5].item<float>(), static_cast<float>(7 * i) / 255.f);
    EXPECT_EQ(s.test.labels[i].item<std::int64_t>(), i % 10);
  }
  // Standardised: the training images' mean is 0 over all 30 (the split takes all of them).
  o.unit_range = false;
  const auto z = tb::load_dataset("mnist", d.path().string(), o);
  const auto all = torch::cat({z.train.images, z.validation.images});
  EXPECT_NEAR(all.mean().item<double>(), 0.0, 1e-5);
}

TEST(Datasets, CifarBinaryRecordsAndTheFineLabelOfCifar100) {
  TempDir d;
  for (int k = 1; k <= 5; ++k)
    write_cifar(d / ("data_batch_" + std::to_string(k) + ".bin"), 4, 1, 10, 2 * k);
  write_cifar(d / "test_batch.bin", 6, 1, 10, 0);
  tb::SplitOptions o;
  o.train_size = 15;
  o.validation_size = 5;
  o.unit_range = true;
  const auto s = tb::load_dataset("cifar10", d.path().string(), o);
  EXPECT_EQ(s.train.images.sizes(), (std::vector<std::int64_t>{15, 3, 32, 32}));
  ASSERT_EQ(s.test.size(), 6);
  for (std::int64_t i = 0; i < 6; ++i) {
    EXPECT_EQ(s.test.labels[i].item<std::int64_t>(), i);
    EXPECT_FLOAT_EQ(s.test.images[i][0][3][4].item<float>(), static_cast<float>(i) / 255.f);
    EXPECT_FLOAT_EQ(s.test.images[i][1][31][0].item<float>(), 100.f / 255.f);
    EXPECT_FLOAT_EQ(s.test.images[i][2][0][31].item<float>(), 200.f / 255.f);
  }
  TempDir h;
  write_cifar(h / "train.bin", 12, 2, 100, 90);
  write_cifar(h / "test.bin", 3, 2, 100, 97);
  o.train_size = 8;
  o.validation_size = 4;
  const auto c = tb::load_dataset("cifar100", h.path().string(), o);
  EXPECT_EQ(c.test.labels[0].item<std::int64_t>(), 97);  // the fine label, not the coarse 19
  EXPECT_EQ(c.test.labels[2].item<std::int64_t>(), 99);
}

TEST(Datasets, ImageFolderDecodesPngAndJpegToRgbAtTheTaskSize) {
  TempDir d;
  for (const char* split : {"train", "test"})
    for (const char* cls : {"cat", "dog"}) fs::create_directories(d / split / cls);
  write_image(d / "train/cat/a.png", 40, 30, 250, 10, 10);
  write_image(d / "train/cat/b.jpg", 16, 16, 250, 10, 10);
  write_image(d / "train/dog/a.png", 8, 8, 10, 10, 250);
  write_image(d / "train/dog/b.png", 64, 64, 10, 10, 250);
  write_image(d / "test/cat/x.PNG", 20, 20, 250, 10, 10);
  write_image(d / "test/dog/y.jpeg", 12, 24, 10, 10, 250);
  std::ofstream(d / "train/dog/notes.txt") << "not an image";
  tb::SplitOptions o;
  o.train_size = 3;
  o.validation_size = 1;
  o.resize = 8;
  o.unit_range = true;
  const auto s = tb::load_dataset("image_folder", d.path().string(), o);
  EXPECT_EQ(s.train.images.sizes(), (std::vector<std::int64_t>{3, 3, 8, 8}));
  ASSERT_EQ(s.test.size(), 2);
  // Classes by sorted folder name: cat 0 (red), dog 1 (blue); JPEG within its quantisation.
  EXPECT_EQ(s.test.labels[0].item<std::int64_t>(), 0);
  EXPECT_EQ(s.test.labels[1].item<std::int64_t>(), 1);
  EXPECT_NEAR(s.test.images[0][0][4][4].item<float>(), 250.f / 255.f, 0.5f / 255.f);
  EXPECT_NEAR(s.test.images[1][2][4][4].item<float>(), 250.f / 255.f, 4.f / 255.f);
  EXPECT_NEAR(s.test.images[1][0][4][4].item<float>(), 10.f / 255.f, 4.f / 255.f);

  // A file that is not an image, named like one: named with the fix.
  std::ofstream(d / "test/dog/broken.png") << "garbage";
  o.resize = 6;  // another size: decoded afresh
  const std::string m = message_of([&] { tb::load_dataset("image_folder", d.path().string(), o); });
  EXPECT_NE(m.find("broken.png cannot be decoded"), std::string::npos) << m;
}

TEST(Datasets, MissingAndMalformedFilesNameTheFileWhatWasExpectedAndTheSource) {
  TempDir d;
  std::string m = message_of([&] { tb::load_dataset("mnist", d.path().string(), {}); });
  EXPECT_NE(m.find((d / "train-images-idx3-ubyte").string() + " is missing"), std::string::npos)
      << m;
  EXPECT_NE(m.find("yann.lecun.com/exdb/mnist"), std::string::npos) << m;
  m = message_of([&] { tb::load_dataset("cifar10", d.path().string(), {}); });
  EXPECT_NE(m.find("data_batch_1.bin is missing (expected records of 1 label byte(s) and 3,072"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("cifar-10-binary.tar.gz"), std::string::npos) << m;
  // A CIFAR-100 file cut short: not a whole number of 3,074-byte records.
  std::ofstream(d / "train.bin", std::ios::binary) << std::string(3074 * 2 + 17, '\1');
  m = message_of([&] { tb::load_dataset("cifar100", d.path().string(), {}); });
  EXPECT_NE(m.find("train.bin is malformed: 6165 bytes is not a whole number of 3074-byte"),
            std::string::npos)
      << m;
  // A truncated IDX file.
  write_idx(d / "train-images-idx3-ubyte", 5, true, false);
  fs::resize_file(d / "train-images-idx3-ubyte", 100);
  m = message_of([&] { tb::load_dataset("mnist", d.path().string(), {}); });
  EXPECT_NE(m.find("is truncated"), std::string::npos) << m;
  m = message_of([&] { tb::load_dataset("image_folder", d.path().string(), {}); });
  EXPECT_NE(m.find("needs [task] resize"), std::string::npos) << m;
}

TEST(Datasets, ConfigKnowsEachDatasetsShapeAndAnImageFoldersClasses) {
  TempDir d;
  auto config = [&](const std::string& task) {
    write_text(d / "c.toml", "name = \"t\"\n[task]\n" + task +
                                 "\n[search_space]\nplugin = \"chain_cnn\"\n[hardware]\nplugin = "
                                 "\"gpu\"\n[controller]\nplugin = \"random\"\n[estimator]\nplugin "
                                 "= \"trained\"\n[budget]\ncandidates = 1\n");
    return core::load_config(d / "c.toml", {});
  };
  EXPECT_EQ(config("dataset = \"cifar10\"").task.input.to_string(), (Shape{3, 32, 32}).to_string());
  EXPECT_EQ(config("dataset = \"cifar100\"").task.classes, 100);
  EXPECT_EQ(config("dataset = \"mnist\"\nresize = 14").task.input.to_string(),
            (Shape{1, 14, 14}).to_string());
  for (const char* cls : {"a", "b", "c"}) fs::create_directories(d / "img" / "train" / cls);
  const auto folder = config("dataset = \"image_folder\"\ndata_dir = \"" + (d / "img").string() +
                             "\"\nresize = 24");
  EXPECT_EQ(folder.task.classes, 3);
  EXPECT_EQ(folder.task.input.to_string(), (Shape{3, 24, 24}).to_string());
  try {
    config("dataset = \"image_folder\"\ndata_dir = \"" + (d / "img").string() + "\"");
    FAIL() << "image_folder without resize";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("needs 'resize'"), std::string::npos) << e.what();
  }
  try {
    config("dataset = \"cifar_10\"");
    FAIL() << "unknown dataset";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'cifar10'"), std::string::npos) << e.what();
  }
}

TEST(Datasets, TrainedEstimatorTrainsOnThreeChannelData) {
  TempDir d;
  for (int k = 1; k <= 5; ++k)
    write_cifar(d / ("data_batch_" + std::to_string(k) + ".bin"), 60, 1, 10, k);
  write_cifar(d / "test_batch.bin", 20, 1, 10, 0);
  Task task;
  task.dataset = "cifar10";
  task.data_dir = d.path().string();
  task.input = {3, 32, 32};
  task.classes = 10;
  const nlohmann::json options = {
      {"train_size", 150}, {"validation_size", 100}, {"epochs", 1}, {"batch", 32}, {"threads", 1}};
  auto est = load_plugin<AccuracyEstimator>("trained", options, task);
  Network n;
  const int x = n.add_input({3, 32, 32});
  const int c = n.add_conv2d(x, 4, 3, 2, 1, 1, true);
  const int f = n.add_flatten(n.add_global_avg_pool(c));
  n.add_linear(f, 10, true);
  const Estimate e = est->estimate(n);
  EXPECT_GE(e.accuracy, 0.0);
  EXPECT_LE(e.accuracy, 1.0);
  EXPECT_EQ(est->estimate(n).accuracy, e.accuracy);  // deterministic
  // A one-channel task on CIFAR-10 is refused at creation.
  task.input = {1, 32, 32};
  try {
    load_plugin<AccuracyEstimator>("trained", options, task);
    FAIL() << "accepted a 1-channel task on cifar10";
  } catch (const Error& e2) {  // the loader reports it as the plugin failing to start
    EXPECT_NE(std::string(e2.what()).find("cifar10 images have 3 channel(s)"), std::string::npos)
        << e2.what();
  }
}
