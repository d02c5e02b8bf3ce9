// coex-train: run by `coex train RUN --candidate SEQ|best [--epochs E] [--out DIR]`. Retrains the
// candidate's network from scratch on the whole training split with the run's [train] schedule
// (SGD with momentum and cosine decay by default), checkpoints every epoch (a SIGKILL loses at
// most the epoch in progress; the same command continues), then measures accuracy on the test
// split, which the search never saw, and writes model.pt and train.json (README.md).
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include "coex/error.hpp"
#include "coex/io.hpp"
#include "coex/tools/tool_args.hpp"
#include "coex/torch/train.hpp"
#include "final_run.hpp"

namespace {

namespace fs = std::filesystem;
namespace tb = coex::torch_bridge;
using nlohmann::json;

struct Args {
  std::string run_dir, candidate = "best", out;
  std::vector<std::string> sets;
};

[[noreturn]] void usage_error(const std::string& msg) {
  throw coex::UserError("coex train: " + msg +
                        ". Usage: coex train RUN_DIR [--candidate SEQ|best] [--epochs E] "
                        "[--out DIR] [--set train.KEY=VALUE]...");
}

Args parse(int argc, char** argv) {
  Args a;
  coex::tools::ToolArgs args(argc, argv, usage_error);
  while (args.next()) {
    const std::string& k = args.key();
    if (k == "--candidate")
      a.candidate = args.value();
    else if (k == "--epochs")
      a.sets.push_back("train.epochs=" +
                       std::to_string(static_cast<long long>(args.number(1, 10000))));
    else if (k == "--out")
      a.out = args.value();
    else if (k == "--set")
      a.sets.push_back(args.value());
    else if (!k.empty() && k[0] != '-' && a.run_dir.empty())
      a.run_dir = k;
    else
      args.fail("unknown argument '" + k + "'");
  }
  if (a.run_dir.empty()) usage_error("missing RUN_DIR");
  return a;
}

std::string duration(double s) {
  char b[32];
  const long long t = std::llround(std::max(0.0, s));
  if (t >= 3600)
    std::snprintf(b, sizeof b, "%lldh %02lldm", t / 3600, t % 3600 / 60);
  else if (t >= 60)
    std::snprintf(b, sizeof b, "%lldm %02llds", t / 60, t % 60);
  else
    std::snprintf(b, sizeof b, "%llds", t);
  return b;
}

/// The shuffled order of epoch `epoch`: a function of the seed and the epoch only, so that a
/// resumed training sees the batches an uninterrupted one would.
std::vector<std::int64_t> epoch_order(std::int64_t n, std::uint64_t seed, int epoch) {
  std::mt19937_64 rng(seed ^ (0x66696e616c2d7472ULL +
                              0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(epoch + 1)));
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  for (std::int64_t i = n - 1; i > 0; --i)
    std::swap(order[static_cast<std::size_t>(i)],
              order[static_cast<std::size_t>(rng() % static_cast<std::uint64_t>(i + 1))]);
  return order;
}

void save_archive(torch::serialize::OutputArchive& a, const fs::path& file) {
  const fs::path tmp = file.string() + ".tmp";
  try {
    a.save_to(tmp.string());
  } catch (const std::exception& e) {
    throw coex::UserError("cannot write " + tmp.string() + ": " + e.what() +
                          ". Fix: free disk space or choose another --out");
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) throw coex::UserError("cannot write " + file.string() + ": " + ec.message());
}

int run(const Args& a) {
  using namespace coex::deploy;
  const FinalRun r = open_final_run(a.run_dir, a.candidate, a.sets);
  const coex::core::FinalTraining& f = r.config.train;
  const fs::path out = a.out.empty() ? default_train_dir(r) : fs::path(a.out);
  const std::string key = training_key(r);

  // A finished training of the same settings: nothing to do.
  if (fs::exists(train_json_file(out)) && fs::exists(weights_file(out))) {
    json done = json::parse(read_text(train_json_file(out)), nullptr, false);
    if (!done.is_discarded() && done.value("key", "") == key) {
      std::printf("candidate %lld is already trained in %s: test accuracy %.4f\n",
                  static_cast<long long>(r.candidate.seq), out.c_str(),
                  done.value("test_accuracy", 0.0));
      return 0;
    }
    throw coex::UserError(out.string() +
                          " holds the final training of another candidate or other [train] "
                          "settings. Fix: --out NEW_DIR, or delete " +
                          out.string());
  }
  // The dataset first: a missing one leaves no folder behind.
  const auto splits = final_splits(r);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw coex::UserError("cannot create " + out.string() + ": " + ec.message());
  const std::int64_t n = splits.train.size();
  if (f.threads > 0) torch::set_num_threads(f.threads);
  const std::uint64_t seed = f.seed >= 0 ? static_cast<std::uint64_t>(f.seed) : r.config.seed;
  torch::manual_seed(seed ^ r.network.hash());
  auto model = tb::lower(r.network);
  tb::TrainOptions to;
  to.optimizer = f.optimizer;
  to.lr = f.lr;
  to.momentum = f.momentum;
  to.weight_decay = f.weight_decay;
  auto opt = tb::make_optimizer(model, to);

  const std::int64_t steps = tb::batches_per_epoch(n, f.batch);
  const double total_steps = static_cast<double>(steps) * f.epochs;
  int start_epoch = 0;
  double previous_seconds = 0;
  json history = json::array();
  if (fs::exists(checkpoint_file(out))) {
    torch::serialize::InputArchive in;
    c10::IValue v;
    try {
      in.load_from(checkpoint_file(out).string());
      in.read("key", v);
    } catch (const std::exception& e) {
      throw coex::UserError(checkpoint_file(out).string() + " cannot be read (" + e.what() +
                            "). Fix: delete it to start the training over");
    }
    if (v.toStringRef() != key)
      throw coex::UserError(checkpoint_file(out).string() +
                            " is a checkpoint of another candidate or other [train] settings. "
                            "Fix: --out NEW_DIR, or delete " +
                            out.string());
    torch::serialize::InputArchive m, o;
    in.read("model", m);
    in.read("optimizer", o);
    model->load(m);
    opt->load(o);
    in.read("epochs_done", v);
    start_epoch = static_cast<int>(v.toInt());
    in.read("seconds", v);
    previous_seconds = v.toDouble();
    in.read("history", v);
    history = json::parse(v.toStringRef());
    std::fprintf(stderr, "coex train: resuming from the checkpoint after epoch %d of %d\n",
                 start_epoch, f.epochs);
  }
  std::fprintf(stderr,
               "coex train: candidate %lld (%s): %lld training images, %lld test images; %d "
               "epochs of %s, lr %g (%s), batch %lld, %d thread(s)\n",
               static_cast<long long>(r.candidate.seq), r.candidate.description.c_str(),
               static_cast<long long>(n), static_cast<long long>(splits.test.size()), f.epochs,
               f.optimizer.c_str(), f.lr, f.schedule.c_str(), static_cast<long long>(f.batch),
               torch::get_num_threads());

  const bool tty = ::isatty(2);
  const auto t0 = std::chrono::steady_clock::now();
  auto since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  std::int64_t images_this_session = 0;
  for (int epoch = start_epoch; epoch < f.epochs; ++epoch) {
    const auto order = epoch_order(n, seed, epoch);
    const double first = static_cast<double>(steps) * epoch;
    auto lr = [&](std::int64_t k) {
      if (f.schedule == "constant") return f.lr;
      return 0.5 * f.lr * (1 + std::cos(M_PI * (first + static_cast<double>(k)) / total_steps));
    };
    auto last_print = std::chrono::steady_clock::now();
    const auto te = std::chrono::steady_clock::now();
    auto progress = [&](std::int64_t done) {
      if (since(last_print) < (tty ? 0.5 : 5.0) || done >= n) return;
      last_print = std::chrono::steady_clock::now();
      const double rate = static_cast<double>(images_this_session + done) / since(t0);
      const double left =
          static_cast<double>(n - done) + static_cast<double>(n) * (f.epochs - epoch - 1);
      std::fprintf(stderr, "%sepoch %d/%d  %3.0f%%  %.0f img/s  ETA %s%s", tty ? "\r" : "",
                   epoch + 1, f.epochs, 100.0 * static_cast<double>(done) / static_cast<double>(n),
                   rate, duration(left / rate).c_str(), tty ? "   " : "\n");
    };
    const tb::EpochStats st =
        tb::train_epoch(model, *opt, splits.train, order, f.batch, lr, progress);
    images_this_session += n;
    const double rate = static_cast<double>(images_this_session) / since(t0);
    history.push_back({{"epoch", epoch + 1},
                       {"loss", st.mean_loss},
                       {"lr_start", lr(0)},
                       {"seconds", since(te)}});
    // The checkpoint: model, optimiser state (momentum), epochs done, one file renamed in place.
    torch::serialize::OutputArchive ck, m, o;
    model->save(m);
    opt->save(o);
    ck.write("key", c10::IValue(key));
    ck.write("model", m);
    ck.write("optimizer", o);
    ck.write("epochs_done", c10::IValue(static_cast<std::int64_t>(epoch + 1)));
    ck.write("seconds", c10::IValue(previous_seconds + since(t0)));
    ck.write("history", c10::IValue(history.dump()));
    save_archive(ck, checkpoint_file(out));
    std::fprintf(stderr, "%sepoch %d/%d  loss %.4f  %.0f img/s  ETA %s  (checkpoint saved)%s\n",
                 tty ? "\r" : "", epoch + 1, f.epochs, st.mean_loss, rate,
                 duration(static_cast<double>(n) * (f.epochs - epoch - 1) / rate).c_str(),
                 tty ? "          " : "");
  }

  std::int64_t recalibration = f.bn_recalibration_images;
  if (recalibration < 0) {
    recalibration = 0;
    for (const auto& node : r.network.nodes())
      if (node.op == coex::OpKind::kAdderConv2d) recalibration = 2000;
  }
  if (recalibration > 0) tb::recalibrate_batch_norm(model, splits.train, recalibration, f.batch);
  const double accuracy = tb::evaluate_accuracy(model, splits.test);
  torch::serialize::OutputArchive w;
  model->save(w);
  save_archive(w, weights_file(out));
  json result = {{"key", key},
                 {"run", fs::absolute(r.dir).string()},
                 {"seq", r.candidate.seq},
                 {"description", r.candidate.description},
                 {"network_hash", r.candidate.network_hash},
                 {"search_accuracy",
                  r.candidate.outcome.accuracy ? json(*r.candidate.outcome.accuracy) : json()},
                 {"test_accuracy", accuracy},
                 {"test_images", splits.test.size()},
                 {"train_images", n},
                 {"final_loss", history.empty() ? json() : history.back()["loss"]},
                 {"seconds", previous_seconds + since(t0)},
                 {"seed", seed},
                 {"train",
                  {{"epochs", f.epochs},
                   {"batch", f.batch},
                   {"optimizer", f.optimizer},
                   {"lr", f.lr},
                   {"momentum", f.momentum},
                   {"weight_decay", f.weight_decay},
                   {"schedule", f.schedule},
                   {"bn_recalibration_images", recalibration},
                   {"threads", torch::get_num_threads()}}},
                 {"epochs", history}};
  coex::write_file_atomic(train_json_file(out), result.dump(2) + "\n");
  fs::remove(checkpoint_file(out), ec);
  std::printf(
      "candidate %lld trained: test accuracy %.4f on %lld test images (%s); weights in %s\n",
      static_cast<long long>(r.candidate.seq), accuracy, static_cast<long long>(splits.test.size()),
      duration(previous_seconds + since(t0)).c_str(), weights_file(out).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return coex::tools::tool_main([&] { return run(parse(argc, argv)); });
}
