// Controller `rl`: REINFORCE with an LSTM policy (Jiang et al., IEEE TCAD 2020; README.md), one
// token per dimension, autoregressive on the current sample, several children per episode, and a
// bias-corrected EMA baseline that weights the newest reward most.
#include <torch/torch.h>

#include <cmath>
#include <random>

#include "baseline.hpp"
#include "coex/error.hpp"
#include "coex/log.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"

namespace coex::plugins::rl {

namespace nn = torch::nn;

/// Token choices of one dimension: the coordinate each token stands for.
struct TokenSet {
  std::vector<double> values;
};

class PolicyImpl : public nn::Module {
 public:
  PolicyImpl(const std::vector<TokenSet>& tokens, int hidden)
      : cell_(nn::LSTMCell(hidden, hidden)) {
    register_module("cell", cell_);
    start_ = register_parameter("start", torch::empty({1, hidden}).uniform_(-1, 1));
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      const auto n = static_cast<std::int64_t>(tokens[i].values.size());
      auto emb = nn::Embedding(n, hidden);
      torch::NoGradGuard g;
      emb->weight.uniform_(-1, 1);
      embeddings_.push_back(register_module("emb" + std::to_string(i), emb));
      heads_.push_back(register_module("head" + std::to_string(i), nn::Linear(hidden, n)));
    }
  }

  /// Runs the policy over `tokens` (a full sequence) and returns the sum of log-probabilities.
  /// When `sample` is set, tokens are drawn (in place) from the policy with `rng` first.
  torch::Tensor run(std::vector<std::int64_t>& tokens, std::mt19937_64* rng) {
    const auto hidden = start_.size(1);
    auto h = torch::zeros({1, hidden});
    auto c = torch::zeros({1, hidden});
    torch::Tensor x = start_;
    torch::Tensor logp = torch::zeros({});
    for (std::size_t i = 0; i < heads_.size(); ++i) {
      auto hc = cell_->forward(x, std::make_tuple(h, c));
      h = std::get<0>(hc);
      c = std::get<1>(hc);
      const auto lp = torch::log_softmax(heads_[i]->forward(h), 1).squeeze(0);
      if (rng) {
        const auto probs = lp.detach().exp();
        const auto* p = probs.data_ptr<float>();
        std::uniform_real_distribution<double> u(0.0, 1.0);
        double r = u(*rng), acc = 0;
        std::int64_t k = 0;
        for (; k < probs.size(0) - 1; ++k) {
          acc += p[k];
          if (r < acc) break;
        }
        tokens[i] = k;
      }
      logp = logp + lp[tokens[i]];
      x = embeddings_[i]->forward(torch::tensor({tokens[i]}, torch::kInt64));
    }
    return logp;
  }

 private:
  nn::LSTMCell cell_;
  torch::Tensor start_;
  std::vector<nn::Embedding> embeddings_;
  std::vector<nn::Linear> heads_;
};
TORCH_MODULE(Policy);

class RlController final : public Controller {
 public:
  RlController(const Options& o, const PluginContext&)
      : hidden_(static_cast<int>(o.get_int("hidden"))),
        children_(static_cast<std::size_t>(o.get_int("children"))),
        optimizer_(o.get_string("optimizer")),
        lr_(o.get_real("lr")),
        beta_(o.get_real("baseline_beta")),
        real_bins_(static_cast<int>(o.get_int("real_bins"))),
        max_tokens_(o.get_int("max_tokens")) {}

  static OptionSchema schema() {
    OptionSchema s;
    s.add_int("hidden", 35, "LSTM hidden units H (35 in the original)", 1, 1024, "units");
    s.add_int("children", 1, "Children sampled per episode (one REINFORCE update per episode)", 1,
              1024, "children");
    s.add_string("optimizer", "adam",
                 "adam (lr 0.01, HotNAS) or rmsprop (lr * 0.5^floor(step/50), FNAS)",
                 {"adam", "rmsprop"});
    s.add_real("lr", 0.01, "Learning rate (rmsprop: initial, the original uses 0.99)", 1e-6, 10);
    s.add_real("baseline_beta", 0.9, "EMA factor of the reward baseline", 0, 0.9999);
    s.add_int("real_bins", 10, "Tokens per real dimension (evenly spaced)", 2, 1000, "tokens");
    s.add_int("max_tokens", 256, "Largest integer dimension accepted (one token per value)", 2,
              100000, "tokens");
    return s;
  }

  void search(const Problem& problem, Evaluator& evaluator) override {
    const Space& space = problem.space;
    std::vector<TokenSet> tokens;
    for (std::size_t i = 0; i < space.size(); ++i) {
      const Dimension& d = space[i];
      TokenSet t;
      if (d.kind == Dimension::Kind::kReal) {
        std::vector<double> u(space.size(), 0.5);
        for (int k = 0; k < real_bins_; ++k) {
          u[i] = (k + 0.5) / real_bins_;
          t.values.push_back(space.from_unit(u)[i]);
        }
      } else {
        if (static_cast<std::int64_t>(d.cardinality()) > max_tokens_)
          throw ConfigError("controller 'rl': dimension '" + d.name + "' has " +
                            std::to_string(d.cardinality()) +
                            " values, above max_tokens = " + std::to_string(max_tokens_) +
                            ". Fix: raise max_tokens or narrow the dimension");
        for (double v = d.lo; v <= d.hi; v += 1) t.values.push_back(v);
      }
      tokens.push_back(std::move(t));
    }
    torch::manual_seed(problem.seed);
    Policy policy(tokens, hidden_);
    std::unique_ptr<torch::optim::Optimizer> opt;
    if (optimizer_ == "adam")
      opt = std::make_unique<torch::optim::Adam>(policy->parameters(),
                                                 torch::optim::AdamOptions(lr_));
    else
      opt = std::make_unique<torch::optim::RMSprop>(policy->parameters(),
                                                    torch::optim::RMSpropOptions(lr_));
    std::mt19937_64 rng(problem.seed);
    EmaBaseline baseline(beta_);
    int step = 0;
    while (!evaluator.done()) {
      std::vector<std::vector<std::int64_t>> seqs(children_,
                                                  std::vector<std::int64_t>(tokens.size(), 0));
      std::vector<Point> batch;
      {
        torch::NoGradGuard g;
        for (auto& s : seqs) {
          policy->run(s, &rng);
          Point p(tokens.size());
          for (std::size_t i = 0; i < tokens.size(); ++i)
            p[i] = tokens[i].values[static_cast<std::size_t>(s[i])];
          batch.push_back(std::move(p));
        }
      }
      const auto outcomes = evaluator.evaluate(batch);
      if (outcomes.empty()) break;
      double mean = 0;
      for (const auto& o : outcomes) mean += o.reward;
      mean /= static_cast<double>(outcomes.size());
      const double b_prev = baseline.value();
      const bool first = baseline.steps() == 0;
      baseline.advantage_and_update(mean);
      if (first) continue;  // adv_1 = 0: nothing to learn from the first episode
      if (optimizer_ == "rmsprop") {
        const double lr = lr_ * std::pow(0.5, std::floor(step / 50.0));
        for (auto& g : opt->param_groups())
          static_cast<torch::optim::RMSpropOptions&>(g.options()).lr(lr);
      }
      opt->zero_grad();
      torch::Tensor loss = torch::zeros({});
      for (std::size_t k = 0; k < outcomes.size(); ++k) {
        const double adv = outcomes[k].reward - b_prev;
        // Gradient ascent on adv * grad log pi, averaged over tokens (the original's 1/T CE).
        loss = loss - adv * policy->run(seqs[k], nullptr) / static_cast<double>(tokens.size());
      }
      loss = loss / static_cast<double>(outcomes.size());
      loss.backward();
      opt->step();
      ++step;
    }
    logger()->info("rl: {} updates, baseline {:.4f}", step, baseline.value());
  }

 private:
  int hidden_;
  std::size_t children_;
  std::string optimizer_;
  double lr_;
  double beta_;
  int real_bins_;
  std::int64_t max_tokens_;
};

}  // namespace coex::plugins::rl

COEX_PLUGIN(coex::plugins::rl::RlController, "rl", "0.1.0",
            "REINFORCE with an LSTM policy (H=35), one token per dimension, EMA baseline")
