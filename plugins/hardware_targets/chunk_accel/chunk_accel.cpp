// Hardware target `chunk_accel`: NASA's chunk-based accelerator (chunk_model.hpp). Design space:
// PE budget, global-buffer size, (optionally) a fixed PE split against the workload split, and
// the dataflow.
// conv2d and linear run on the conv chunk, shift_conv2d on the shift chunk, adder_conv2d on the
// adder chunk.
#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "chunk_model.hpp"
#include "coex/error.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"

namespace coex::plugins::chunk_accel {

namespace ch = coex::chunk;

class ChunkAccel final : public HardwareTarget {
 public:
  /// evaluate locks the shared mapper memo; the rest reads the options.
  static constexpr bool kConcurrent = true;

  ChunkAccel(const Options& o, const PluginContext&)
      : tech_(o.get_string("variant") == "fpga" ? ch::Technology::fpga_variant()
                                                : ch::Technology::asic()),
        pe_budgets_(o.get_int_list("pe_budgets")),
        gb_sizes_(o.get_int_list("gb_words")),
        objective_(o.get_string("tune_objective")),
        dataflow_names_(o.get_string_list("dataflows")) {
    tech_.compat_conv_energy = o.get_bool("compat_conv_energy");
    require_choices(pe_budgets_, "pe_budgets");
    require_choices(gb_sizes_, "gb_words");
    require_choices(dataflow_names_, "dataflows");
    for (const auto& name : dataflow_names_)
      dataflows_.push_back(name == "auto" ? ch::DataflowChoice::any()
                                          : ch::DataflowChoice::only(*ch::parse_dataflow(name)));
    const auto split = o.get_int_list("split_override");
    if (!split.empty()) {
      if (split.size() != 3)
        throw ConfigError("option 'split_override' must be [conv, shift, adder] PEs, got " +
                          std::to_string(split.size()) + " numbers");
      override_ = ch::PeSplit{static_cast<int>(split[0]), static_cast<int>(split[1]),
                              static_cast<int>(split[2])};
    }
    std::vector<Dimension> dims{Dimension::categorical_of("pe_budget", pe_budgets_),
                                Dimension::categorical_of("gb_words", gb_sizes_)};
    if (override_) dims.push_back(Dimension::categorical("pe_split", {"workload", "override"}));
    dims.push_back(Dimension::categorical("dataflow", dataflow_names_));
    space_ = Space(std::move(dims));
    mapper_ = std::make_unique<ch::Mapper>(tech_);
  }

  static OptionSchema schema() {
    OptionSchema s;
    s.add_string("variant", "asic",
                 "asic (the reference's 250 MHz ASIC) or fpga (shift/adder PEs pack 8 ops, memory "
                 "x0.63, FPGA operator energies)",
                 {"asic", "fpga"});
    s.add_int_list("pe_budgets", {84, 168, 336},
                   "Design space: PE budget in MAC-equivalents (168 in the reference)", 3, 100000,
                   "PEs");
    s.add_int_list("gb_words", {65535, 131070},
                   "Design space: global buffer shared by the chunks (131,070 in the reference)",
                   64, 1LL << 32, "words");
    s.add_int_list("split_override", {},
                   "Optional fixed PE split [conv, shift, adder]; adds a design dimension choosing "
                   "it or the workload split",
                   0, 100000, "PEs");
    s.add_bool("compat_conv_energy", false,
               "Charge every chunk the conv chunk's multiply energy, as the original code does "
               "(for parity; coex charges each chunk its own operator)");
    s.add_string_list(
        "dataflows", {"rs"},
        "Design space: the PE arrays' dataflow. rs = row-stationary (the reference's); ws, os, is "
        "= weight-, output-, input-stationary (coex's models, see the README); auto = each layer "
        "the dataflow of least EDP (a reconfigurable array)",
        {"rs", "ws", "os", "is", "auto"});
    s.add_string("tune_objective", "edp", "Metric tune() minimises among designs meeting the specs",
                 {"edp", "latency_ms", "energy_mj"});
    return s;
  }

  const Space& design_space() const override { return space_; }

  std::vector<MetricInfo> metrics() const override {
    return {{"edp", "mJ*ms", Direction::kMinimize, "Energy x latency"},
            {"latency_ms", "ms", Direction::kMinimize,
             "Inference latency: the slowest chunk's total (chunks run concurrently)"},
            {"energy_mj", "mJ", Direction::kMinimize, "Energy per inference, DRAM included"},
            {"onchip_energy_mj", "mJ", Direction::kMinimize,
             "Energy without DRAM (what the reference reports)"},
            {"flops_1e7", "1e7 ops", Direction::kMinimize,
             "(F_conv + (F_shift + F_adder) / 1.88) / 1e7, the reference's FLOPs figure"}};
  }

  std::string tune_objective() const override { return objective_; }

  /// Calibration (README.md, "Calibration"): a scale per chunk on its modelled time, and fixed
  /// costs per layer and per image.
  std::vector<Coefficient> coefficients() const override {
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<Coefficient> cs;
    for (int c = 0; c < 3; ++c)
      cs.push_back({std::string(kChunkNames[c]) + "_chunk_scale", "",
                    std::string("multiplies the modelled time of the ") + kChunkNames[c] +
                        " chunk (clock derating, stalls the mapper misses)",
                    cal_[static_cast<std::size_t>(c)], 1e-3, 1e3, 1.0, true});
    cs.push_back({"per_layer_us", "us", "fixed cost of each layer copy on its chunk", cal_[3], 0.0,
                  inf, 10.0, false});
    cs.push_back({"per_image_us", "us", "fixed cost of one inference (host I/O)", cal_[4], 0.0, inf,
                  100.0, false});
    return cs;
  }

  LatencyModel latency_model(const Network& net, const Point& p) const override {
    const Scheduled s = scheduled(net, p);
    if (!s.result.feasible) throw InvalidCandidate(s.result.reason);
    const ChunkTerms terms = terms_of(s);
    return [terms](const std::vector<double>& v) { return calibrated_ns(terms, v) * 1e-6; };
  }

  void set_coefficients(const std::vector<double>& v) override {
    if (v.size() != cal_.size()) throw Error("chunk_accel: 5 coefficient values expected");
    std::copy(v.begin(), v.end(), cal_.begin());
  }

  /// One part per lowered layer: its chunk, dataflow and tiling, its (calibrated) time on its
  /// chunk, its energy and its DRAM traffic, repeats included.
  Breakdown breakdown(const Network& net, const HardwareResult& design) const override {
    const Scheduled s = scheduled(net, design.design);
    if (s.layers.empty() || !s.result.feasible) throw InvalidCandidate(s.result.reason);
    Breakdown b;
    b.part_kind = "layer";
    b.add_column("latency_ms", "ms", "the layer's time on its chunk, all its copies");
    b.add_column("energy_mj", "mJ", "the layer's energy, DRAM included, all its copies");
    b.add_column("dram_kwords", "kwords", "16-bit words the layer moves to and from DRAM");
    b.add_column("macs_m", "M", "multiply-accumulates (or shift/adder operations)");
    for (std::size_t i = 0; i < s.layers.size() && i < s.result.mappings.size(); ++i) {
      const ch::Layer& l = s.layers[i];
      const ch::Mapping& m = s.result.mappings[i];
      const auto c = static_cast<std::size_t>(l.chunk);
      const double copies = static_cast<double>(l.repeat);
      const double ns = copies * (cal_[c] * m.latency_ns + cal_[3] * 1e3);
      std::string name = "#" + std::to_string(l.node) + " " + op_name(net.node(l.node).op);
      if (l.repeat > 1) name += " x" + std::to_string(l.repeat);
      b.add_part(std::move(name),
                 std::string(kChunkNames[c]) + " chunk, " + ch::dataflow_name(m.dataflow) +
                     ", tiling " + m.tiling.to_string(),
                 {ns * 1e-6, copies * m.energy_pj * 1e-9, copies * m.accesses.dram * 1e-3,
                  copies * static_cast<double>(l.macs()) * 1e-6});
    }
    b.note =
        "The three chunks run concurrently, each its own layers in order: latency is the "
        "busiest chunk's total (conv " +
        std::to_string(s.result.chunk_latency_ns[0] * 1e-6) + " ms, shift " +
        std::to_string(s.result.chunk_latency_ns[1] * 1e-6) + " ms, adder " +
        std::to_string(s.result.chunk_latency_ns[2] * 1e-6) +
        " ms, before calibration) plus the per-image cost.";
    return b;
  }

  HardwareResult evaluate(const Network& net, const Point& p) const override {
    HardwareResult h;
    h.design = p;
    Scheduled s = scheduled(net, p);
    if (s.layers.empty()) {
      h.feasible = false;
      h.reason = s.result.reason;
      return h;
    }
    const auto& layers = s.layers;
    const auto& t = s.tech;
    const auto df = s.dataflow;
    const auto& f = s.macs;
    ch::ScheduleResult& r = s.result;
    h.feasible = r.feasible;
    h.reason = r.reason;
    h.metrics.set("flops_1e7", (f[0] + (f[1] + f[2]) / t.cheap_pe_factor) / 1e7);
    if (!r.feasible) return h;
    if (!identity_calibration()) {
      const ChunkTerms terms = terms_of(s);
      for (std::size_t c = 0; c < 3; ++c)
        r.chunk_latency_ns[c] = cal_[c] * terms.chunk_ns[c] + cal_[3] * 1e3 * terms.layers[c];
      r.latency_ns = calibrated_ns(terms, {cal_.begin(), cal_.end()});
    }
    h.metrics.set("latency_ms", r.latency_ns * 1e-6);
    h.metrics.set("energy_mj", r.energy_pj * 1e-9);
    h.metrics.set("onchip_energy_mj", r.onchip_pj * 1e-9);
    h.metrics.set("edp", r.latency_ns * 1e-6 * r.energy_pj * 1e-9);
    char buf[240];
    std::snprintf(buf, sizeof buf,
                  "%d PEs (conv %d, shift %d, adder %d), %lld-word buffer, dataflow %s",
                  t.pe_budget, r.pes.conv, r.pes.shift, r.pes.adder,
                  static_cast<long long>(t.gb_words), dataflow_names_.at(df).c_str());
    h.summary = buf;
    nlohmann::json by_dataflow = nlohmann::json::object();
    for (ch::Dataflow d : ch::kDataflows)
      if (const int n = r.layers_by_dataflow[static_cast<std::size_t>(d)]; n > 0)
        by_dataflow[ch::dataflow_name(d)] = n;
    h.detail = {{"pes", {r.pes.conv, r.pes.shift, r.pes.adder}},
                {"chunk_latency_ms",
                 {r.chunk_latency_ns[0] * 1e-6, r.chunk_latency_ns[1] * 1e-6,
                  r.chunk_latency_ns[2] * 1e-6}},
                {"layers", layers.size()},
                {"layers_by_dataflow", std::move(by_dataflow)}};
    return h;
  }

 private:
  static constexpr const char* kChunkNames[3] = {"conv", "shift", "adder"};

  /// A network scheduled on one design, before calibration.
  struct Scheduled {
    std::vector<ch::Layer> layers;
    ch::Technology tech;
    std::size_t dataflow = 0;
    std::array<double, 3> macs{};
    ch::ScheduleResult result;
  };
  Scheduled scheduled(const Network& net, const Point& p) const {
    space_.check(p);
    Scheduled s;
    s.layers = ch::lower(net);
    if (s.layers.empty()) {
      s.result.reason = "chunk_accel maps conv and linear layers; the network has none";
      return s;
    }
    ch::Technology& t = s.tech;
    t = tech_;
    t.pe_budget = static_cast<int>(pe_budgets_.at(static_cast<std::size_t>(p.at(0))));
    t.gb_words = gb_sizes_.at(static_cast<std::size_t>(p.at(1)));
    std::optional<ch::PeSplit> split;
    if (override_ && p.at(2) == 1) split = *override_;
    s.dataflow = static_cast<std::size_t>(p.back());
    s.macs = ch::chunk_macs(s.layers);
    if (!split) split = ch::split_pes(s.macs[0], s.macs[1], s.macs[2], t);
    // One memo for every candidate and design: the mapper's key holds the PEs and the buffer.
    std::lock_guard<std::mutex> lock(mu_);
    s.result = ch::schedule(s.layers, *mapper_, split, t.gb_words, dataflows_.at(s.dataflow));
    return s;
  }

  /// Per chunk: modelled time (ns) and layer copies.
  struct ChunkTerms {
    std::array<double, 3> chunk_ns{}, layers{};
  };
  static ChunkTerms terms_of(const Scheduled& s) {
    ChunkTerms t;
    t.chunk_ns = s.result.chunk_latency_ns;
    for (const auto& l : s.layers)
      t.layers[static_cast<std::size_t>(l.chunk)] += static_cast<double>(l.repeat);
    return t;
  }
  /// The slowest chunk's calibrated time plus the per-image cost, ns.
  static double calibrated_ns(const ChunkTerms& t, const std::vector<double>& v) {
    double worst = 0;
    for (std::size_t c = 0; c < 3; ++c)
      worst = std::max(worst, v[c] * t.chunk_ns[c] + v[3] * 1e3 * t.layers[c]);
    return worst + v[4] * 1e3;
  }
  bool identity_calibration() const {
    return cal_[0] == 1 && cal_[1] == 1 && cal_[2] == 1 && cal_[3] == 0 && cal_[4] == 0;
  }

  /// conv, shift, adder chunk scales; per-layer and per-image microseconds.
  std::array<double, 5> cal_{1, 1, 1, 0, 0};
  ch::Technology tech_;
  std::vector<std::int64_t> pe_budgets_, gb_sizes_;
  std::string objective_;
  std::vector<std::string> dataflow_names_;
  std::vector<ch::DataflowChoice> dataflows_;  ///< per choice of the `dataflow` dimension
  std::optional<ch::PeSplit> override_;
  Space space_;
  mutable std::mutex mu_;
  std::unique_ptr<ch::Mapper> mapper_;
};

}  // namespace coex::plugins::chunk_accel

COEX_PLUGIN(coex::plugins::chunk_accel::ChunkAccel, "chunk_accel", "0.1.0",
            "NASA's chunk-based accelerator: conv/shift/adder PE chunks sharing a buffer, "
            "per-layer mapper (min EDP), concurrent schedule; design: PE budget, buffer, "
            "dataflow")
