// Estimator `nn_degree`: FLASH's training-free accuracy predictor. NN-Degree (topology.hpp) of a
// network feeds a least-squares predictor (predictor.hpp) fitted once per run on K networks of
// the search space whose accuracies come from another estimator (normally `trained`), or loaded
// from a predictor file saved by an earlier run. See README.md.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "coex/error.hpp"
#include "coex/io.hpp"
#include "coex/log.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"
#include "coex/stats.hpp"
#include "predictor.hpp"
#include "topology.hpp"

namespace coex::plugins::nn_degree_estimator {

using namespace coex::nn_degree;
using nlohmann::json;

namespace {

struct Labelled {
  Network net;
  Topology topo;
  double macs = 0;
  double accuracy = 0;
  std::string description;
};

std::vector<Sample> samples_for(const std::vector<Labelled>& v, DegreeVariant variant) {
  std::vector<Sample> s;
  for (const auto& l : v)
    s.push_back({l.topo.nn_degree(variant), l.macs, l.accuracy, l.description});
  return s;
}

}  // namespace

class NnDegree final : public AccuracyEstimator {
 public:
  /// The predictor is fitted (or loaded) by the constructor; estimate only reads it, so it is safe
  /// on several threads at once.
  static constexpr bool kConcurrent = true;

  NnDegree(const Options& o, const PluginContext& ctx) {
    const std::string file = o.get_string("predictor");
    if (!file.empty()) {
      load(file);
      return;
    }
    if (!ctx.search_space || !ctx.make_estimator)
      throw ConfigError(
          "nn_degree needs a predictor: give option 'predictor' (a file saved by an earlier run) "
          "or run it inside a run, where it fits one on networks of the search space");
    fit_from_run(o, ctx);
  }

  static OptionSchema schema() {
    OptionSchema s;
    s.add_string("predictor", "",
                 "Fitted predictor to reuse (nn_degree_predictor.json of an earlier run); empty = "
                 "fit one now");
    s.add_int("samples", 25, "K: networks whose accuracy the source estimator measures for the fit",
              3, 10000, "networks");
    s.add_int("holdout", 10,
              "Further networks, not used in the fit, for Kendall tau and Spearman rho", 0, 10000,
              "networks");
    s.add_int("candidates", 400,
              "Random networks drawn from the search space; the fit's networks are spread evenly "
              "over their range of NN-Degree",
              3, 1000000, "networks");
    s.add_string("variant", "auto",
                 "NN-Degree variant: out (w + t/d per cell), in_out (twice), boundary "
                 "(w (d-1)/d + t/d), or auto (lowest leave-one-out error)",
                 {"auto", "out", "in_out", "boundary"});
    s.add_string("model", "auto",
                 "Predictor form: log_degree (A = t0 + t1 ln g), log_degree_log_flops (+ t2 ln "
                 "MACs), or auto (lowest leave-one-out error)",
                 {"auto", "log_degree", "log_degree_log_flops"});
    s.add_string("source", "trained", "Estimator that measures the fit's accuracies");
    s.add_table("source_options", "Options of the source estimator");
    return s;
  }

  bool training_free() const override { return true; }

  Estimate estimate(const Network& net, const EstimateContext&) override {
    const Topology t = analyse(net);
    Estimate e;
    const double g = t.nn_degree(variant_);
    e.accuracy = std::clamp(predict(model_, theta_, g, static_cast<double>(net.macs())), 0.0, 1.0);
    e.extras.set("nn_degree", g);
    e.extras.set("nn_mass", t.nn_mass());
    return e;
  }

 private:
  void load(const std::string& file) {
    std::ifstream in(file);
    if (!in)
      throw ConfigError("option 'predictor': cannot read '" + file +
                        "'. Fix: point it at the nn_degree_predictor.json of an earlier run, or "
                        "leave it empty to fit a predictor");
    try {
      const json j = json::parse(in);
      variant_ = variant_from_name(j.at("variant").get<std::string>());
      model_ = model_from_name(j.at("model").get<std::string>());
      theta_ = j.at("theta").get<std::vector<double>>();
      if (theta_.size() != features(model_, 1, 1).size()) throw Error("wrong coefficient count");
    } catch (const ConfigError&) {
      throw;
    } catch (const std::exception& e) {
      throw ConfigError("option 'predictor': '" + file + "' is not an nn_degree predictor (" +
                        e.what() + ")");
    }
  }

  void fit_from_run(const Options& o, const PluginContext& ctx) {
    const auto k = static_cast<std::size_t>(o.get_int("samples"));
    const auto h = static_cast<std::size_t>(o.get_int("holdout"));
    const auto ncand = static_cast<std::size_t>(o.get_int("candidates"));
    if (ncand < k + h)
      throw ConfigError("option 'candidates' (" + std::to_string(ncand) +
                        ") must be at least samples + holdout (" + std::to_string(k + h) + ")");
    auto source = ctx.make_estimator(o.get_string("source"), o.get_json("source_options"),
                                     "option 'source' of estimator 'nn_degree'");
    if (ctx.validate_only) {  // `coex validate`: the source exists and its options are valid
      theta_ = {0.0, 0.0};
      return;
    }
    // Distinct random networks of the space, sorted by NN-Degree.
    const SearchSpace& space = *ctx.search_space;
    std::mt19937_64 rng(ctx.seed ^ 0x6e6e2d6465677265ULL);
    std::vector<Labelled> pool;
    std::vector<Point> points;
    std::set<std::string> seen;
    for (std::size_t tries = 0; pool.size() < ncand && tries < 20 * ncand; ++tries) {
      const Point p = space.space().sample(rng);
      try {
        Network net = space.decode(p);
        if (!seen.insert(net.hash_hex()).second) continue;
        Labelled l;
        l.topo = analyse(net);
        l.macs = static_cast<double>(net.macs());
        l.description = space.describe(p);
        l.net = std::move(net);
        pool.push_back(std::move(l));
        points.push_back(p);
      } catch (const InvalidCandidate&) {
      }
    }
    if (pool.size() < k + h)
      throw ConfigError("nn_degree: the search space yields only " + std::to_string(pool.size()) +
                        " distinct networks; lower 'samples' + 'holdout' (" +
                        std::to_string(k + h) + ")");
    std::vector<std::size_t> order(pool.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return pool[a].topo.nn_degree() < pool[b].topo.nn_degree();
    });
    // K + H networks evenly spaced in NN-Degree rank; every ((K+H)/H)-th is held out.
    const std::size_t m = k + h;
    std::vector<Labelled> train, held;
    for (std::size_t j = 0; j < m; ++j) {
      const std::size_t at = m == 1 ? 0 : j * (order.size() - 1) / (m - 1);
      const std::size_t i = order[at];
      Labelled l = pool[i];
      const auto t0 = std::chrono::steady_clock::now();
      l.accuracy = source->estimate(l.net, EstimateContext{l.description, points[i]}).accuracy;
      logger()->info("nn_degree: network {}/{} (g = {:.1f}): accuracy {:.4f} in {:.1f} s", j + 1, m,
                     l.topo.nn_degree(), l.accuracy,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      const bool holdout = h > 0 && (j * h) / m != ((j + 1) * h) / m;
      (holdout ? held : train).push_back(std::move(l));
    }
    // Functional form (variant x model) by leave-one-out error on the training networks.
    std::vector<DegreeVariant> variants{DegreeVariant::kOut, DegreeVariant::kInOut,
                                        DegreeVariant::kBoundary};
    if (o.get_string("variant") != "auto") variants = {variant_from_name(o.get_string("variant"))};
    std::vector<Model> models{Model::kLogDegree, Model::kLogDegreeLogFlops};
    if (o.get_string("model") != "auto") models = {model_from_name(o.get_string("model"))};
    json candidates = json::array();
    double best = std::numeric_limits<double>::infinity();
    for (auto v : variants)
      for (auto md : models) {
        double e = std::numeric_limits<double>::infinity();
        try {
          e = loo_rmse(md, samples_for(train, v));
        } catch (const Error&) {
        }
        candidates.push_back({{"variant", variant_name(v)},
                              {"model", model_name(md)},
                              {"loo_rmse", std::isfinite(e) ? json(e) : json(nullptr)}});
        // Earlier forms win ties (exact data fits several forms with rounding-level error).
        if (e < best * (1 - 1e-9) - 1e-12) best = e, variant_ = v, model_ = md;
      }
    if (!std::isfinite(best))
      throw Error(
          "nn_degree: no predictor form could be fitted (the sampled networks' NN-Degree "
          "does not vary)");
    theta_ = fit(model_, samples_for(train, variant_));
    std::vector<double> pred, actual;
    for (const auto& l : held) {
      pred.push_back(predict(model_, theta_, l.topo.nn_degree(variant_), l.macs));
      actual.push_back(l.accuracy);
    }
    const double tau = kendall_tau_b(pred, actual), rho = spearman_rho(pred, actual);
    logger()->info(
        "nn_degree: fitted {} / {} on {} networks (LOO RMSE {:.4f}); on {} held-out networks "
        "Kendall tau {:.3f}, Spearman rho {:.3f}",
        variant_name(variant_), model_name(model_), train.size(), best, held.size(), tau, rho);
    if (!ctx.run_dir.empty()) save(ctx.run_dir, train, held, candidates, best, tau, rho, pred);
  }

  void save(const std::string& dir, const std::vector<Labelled>& train,
            const std::vector<Labelled>& held, const json& candidates, double loo, double tau,
            double rho, const std::vector<double>& pred) const {
    auto nan_null = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    json j{{"variant", variant_name(variant_)},
           {"model", model_name(model_)},
           {"theta", theta_},
           {"loo_rmse", loo},
           {"candidates", candidates},
           {"heldout_kendall_tau", nan_null(tau)},
           {"heldout_spearman_rho", nan_null(rho)}};
    for (const auto& l : train)
      j["samples"].push_back({{"description", l.description},
                              {"nn_degree", l.topo.nn_degree(variant_)},
                              {"macs", l.macs},
                              {"accuracy", l.accuracy}});
    for (std::size_t i = 0; i < held.size(); ++i)
      j["heldout"].push_back({{"description", held[i].description},
                              {"nn_degree", held[i].topo.nn_degree(variant_)},
                              {"macs", held[i].macs},
                              {"accuracy", held[i].accuracy},
                              {"predicted", pred[i]}});
    std::filesystem::create_directories(dir);
    const std::string path = dir + "/nn_degree_predictor.json";
    write_file_atomic(path, j.dump(2) + "\n");
    logger()->info("nn_degree: predictor saved to {}", path);
  }

  DegreeVariant variant_ = DegreeVariant::kOut;
  Model model_ = Model::kLogDegree;
  std::vector<double> theta_;
};

}  // namespace coex::plugins::nn_degree_estimator

COEX_PLUGIN(coex::plugins::nn_degree_estimator::NnDegree, "nn_degree", "0.1.0",
            "Training-free accuracy from NN-Degree (FLASH), fitted on K networks measured by "
            "another estimator")
