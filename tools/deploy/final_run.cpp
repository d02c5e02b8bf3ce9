#include "final_run.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "coex/core/store.hpp"
#include "coex/error.hpp"

namespace coex::deploy {

namespace fs = std::filesystem;
using nlohmann::json;

FinalRun open_final_run(const std::string& dir, const std::string& which,
                        const std::vector<std::string>& sets) {
  FinalRun r;
  r.dir = dir;
  const fs::path config = r.dir / "config.resolved.toml";
  if (!fs::exists(config))
    throw UserError(dir + " is not a run directory (no config.resolved.toml there). " +
                    "Fix: give the --out folder of a coex run, e.g. runs/quickstart");
  r.config = core::load_config(config, sets);
  const std::unique_ptr<core::Store> store_ptr = core::open_run_store(r.dir);
  const core::Store& store = *store_ptr;
  r.fingerprint = store.meta("fingerprint").value_or("");
  if (auto ctx = store.meta("report_context")) r.run_context = json::parse(*ctx, nullptr, false);
  if (r.run_context.is_discarded()) r.run_context = json::object();
  const auto records = store.load_all();
  r.candidate = core::select_candidate(records, which, dir);
  try {
    r.network = Network::from_json(json::parse(r.candidate.network_json));
  } catch (const std::exception& e) {
    throw UserError(store.where() + ": candidate " + std::to_string(r.candidate.seq) +
                    "'s network cannot be read (" + e.what() + "). The store is damaged");
  }
  return r;
}

fs::path default_train_dir(const FinalRun& run) {
  return run.dir / "final" / std::to_string(run.candidate.seq);
}

torch_bridge::Splits final_splits(const FinalRun& run) {
  const Task& t = run.config.task;
  const int channels = torch_bridge::dataset_channels(t.dataset);
  if (!channels)
    throw UserError(run.config.file.string() + ": [task] dataset = \"" + t.dataset +
                    "\" has no images to train on (coex train trains on mnist, fashion_mnist, "
                    "cifar10, cifar100 or image_folder)");
  const Shape in = run.network.node(0).shape;
  if (in.c != channels || in.h != in.w)
    throw UserError("candidate " + std::to_string(run.candidate.seq) + "'s network reads " +
                    in.to_string() + " inputs; " + t.dataset + " images have " +
                    std::to_string(channels) + " channel(s) and are square");
  torch_bridge::SplitOptions o;
  o.train_size = run.config.train.train_size;  // 0 = all
  o.validation_size = 0;
  o.test_size = 0;
  o.resize = static_cast<int>(in.h);
  o.labels = t.labels;
  o.unit_range = torch_bridge::reads_unit_range(run.network);
  return torch_bridge::load_dataset(t.dataset, t.data_dir, o);
}

Weights trained_weights(torch_bridge::IrModule& model) {
  Weights w;
  auto add = [&](const std::string& name, const torch::Tensor& t) {
    const auto c = t.detach().to(torch::kFloat32).contiguous();
    w[name] = {c.sizes().vec(), {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()}};
  };
  for (const auto& p : model->named_parameters(true)) add(p.key(), p.value());
  for (const auto& b : model->named_buffers(true)) add(b.key(), b.value());
  return w;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UserError("cannot read " + file.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string training_key(const FinalRun& run) {
  const core::FinalTraining& f = run.config.train;
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "fingerprint=%s seq=%lld network=%s epochs=%d batch=%lld optimizer=%s lr=%.17g "
      "momentum=%.17g weight_decay=%.17g schedule=%s train_size=%lld bn_recalibration=%lld "
      "seed=%lld",
      run.fingerprint.c_str(), static_cast<long long>(run.candidate.seq),
      run.candidate.network_hash.c_str(), f.epochs, static_cast<long long>(f.batch),
      f.optimizer.c_str(), f.lr, f.momentum, f.weight_decay, f.schedule.c_str(),
      static_cast<long long>(f.train_size), static_cast<long long>(f.bn_recalibration_images),
      static_cast<long long>(f.seed));
  return buf;
}

}  // namespace coex::deploy
