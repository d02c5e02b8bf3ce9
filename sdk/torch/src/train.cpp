#include "coex/torch/train.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include "coex/error.hpp"

namespace coex::torch_bridge {

double evaluate_accuracy(IrModule& model, const Dataset& data, std::int64_t batch) {
  torch::NoGradGuard no_grad;
  model->eval();
  std::int64_t correct = 0;
  const std::int64_t n = data.size();
  for (std::int64_t b = 0; b < n; b += batch) {
    const auto e = std::min(n, b + batch);
    const auto logits = model->forward(data.images.slice(0, b, e));
    correct += logits.argmax(1).eq(data.labels.slice(0, b, e)).sum().item<std::int64_t>();
  }
  return n ? static_cast<double>(correct) / static_cast<double>(n) : 0.0;
}

void recalibrate_batch_norm(IrModule& model, const Dataset& data, std::int64_t images,
                            std::int64_t batch) {
  torch::NoGradGuard no_grad;
  std::vector<torch::nn::BatchNormOptions*> options;
  for (auto& m : model->modules(/*include_self=*/false)) {
    if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      bn->reset_running_stats();
      options.push_back(&bn->options);
    } else if (auto* bn1 = m->as<torch::nn::BatchNorm1d>()) {
      bn1->reset_running_stats();
      options.push_back(&bn1->options);
    }
  }
  std::vector<c10::optional<double>> momentum;
  for (auto* o : options) {
    momentum.push_back(o->momentum());
    o->momentum(c10::nullopt);  // cumulative average over the batches seen
  }
  model->train();
  const std::int64_t n = std::min(images, data.size());
  for (std::int64_t b = 0; b < n; b += batch)
    if (std::min(n, b + batch) - b >= 2)
      model->forward(data.images.slice(0, b, std::min(n, b + batch)));
  for (std::size_t i = 0; i < options.size(); ++i) options[i]->momentum(momentum[i]);
  model->eval();
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(IrModule& model, const TrainOptions& o) {
  if (o.optimizer == "adam")
    return std::make_unique<torch::optim::Adam>(
        model->parameters(), torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
  if (o.optimizer == "sgd")
    return std::make_unique<torch::optim::SGD>(
        model->parameters(),
        torch::optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(o.weight_decay));
  throw ConfigError("optimizer '" + o.optimizer + "' is not one of: adam sgd");
}

std::int64_t batches_per_epoch(std::int64_t images, std::int64_t batch) {
  if (batch <= 0) return 0;
  const std::int64_t full = images / batch, rest = images % batch;
  return full + (rest >= 2 ? 1 : 0);
}

EpochStats train_epoch(IrModule& model, torch::optim::Optimizer& opt, const Dataset& train,
                       const std::vector<std::int64_t>& order, std::int64_t batch,
                       const std::function<double(std::int64_t)>& lr,
                       const std::function<void(std::int64_t)>& progress) {
  const auto n = static_cast<std::int64_t>(order.size());
  const auto perm = torch::from_blob(const_cast<std::int64_t*>(order.data()), {n}, torch::kInt64);
  model->train();
  EpochStats st;
  double loss_sum = 0;
  for (std::int64_t b = 0; b < n; b += batch) {
    const auto idx = perm.slice(0, b, std::min(n, b + batch));
    if (idx.size(0) < 2) continue;  // BatchNorm needs more than one sample
    if (lr)
      for (auto& group : opt.param_groups()) group.options().set_lr(lr(st.batches));
    const auto x = train.images.index_select(0, idx);
    const auto y = train.labels.index_select(0, idx);
    opt.zero_grad();
    const auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    opt.step();
    loss_sum += loss.item<double>();
    ++st.batches;
    if (progress) progress(std::min(n, b + batch));
  }
  st.mean_loss = st.batches ? loss_sum / static_cast<double>(st.batches) : 0.0;
  return st;
}

TrainResult train_and_evaluate(IrModule& model, const Dataset& train, const Dataset& eval,
                               const TrainOptions& o) {
  if (o.threads > 0) torch::set_num_threads(o.threads);
  const auto opt = make_optimizer(model, o);
  TrainResult r;
  const std::int64_t n = train.size();
  std::mt19937_64 rng(o.seed ^ 0x73687566666c65ULL);
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  const auto t0 = std::chrono::steady_clock::now();
  model->train();
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    if (std::find(o.lr_milestones.begin(), o.lr_milestones.end(), epoch) != o.lr_milestones.end())
      for (auto& group : opt->param_groups())
        group.options().set_lr(group.options().get_lr() * o.lr_gamma);
    for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
    for (std::int64_t i = n - 1; i > 0; --i)
      std::swap(order[static_cast<std::size_t>(i)],
                order[static_cast<std::size_t>(rng() % static_cast<std::uint64_t>(i + 1))]);
    r.final_loss = train_epoch(model, *opt, train, order, o.batch).mean_loss;
  }
  if (o.bn_recalibration_images > 0)
    recalibrate_batch_norm(model, train, o.bn_recalibration_images, o.batch);
  r.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.images_per_second =
      r.train_seconds > 0 ? static_cast<double>(n) * o.epochs / r.train_seconds : 0.0;
  r.accuracy = evaluate_accuracy(model, eval);
  return r;
}

}  // namespace coex::torch_bridge
