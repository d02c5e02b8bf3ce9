// Hardware target `imc`: in-memory-computing accelerator (imc_model.hpp). Design space: crossbar
// size, tiles per router, NoC bandwidth, ADC precision. tune() minimises energy x delay x area.
#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>

#include <nlohmann/json.hpp>

#include "coex/error.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"
#include "imc_model.hpp"

namespace coex::plugins::imc_target {

using coex::imc::Design;
using coex::imc::Technology;

class Imc final : public HardwareTarget {
 public:
  /// evaluate and tune read only the options: safe on several threads at once.
  static constexpr bool kConcurrent = true;

  Imc(const Options& o, const PluginContext&) {
    t_.weight_bits = static_cast<int>(o.get_int("weight_bits"));
    t_.cell_bits = static_cast<int>(o.get_int("cell_bits"));
    t_.input_bits = static_cast<int>(o.get_int("input_bits"));
    t_.activation_bits = static_cast<int>(o.get_int("activation_bits"));
    t_.crossbars_per_tile = static_cast<int>(o.get_int("crossbars_per_tile"));
    t_.adcs_per_crossbar = static_cast<int>(o.get_int("adcs_per_crossbar"));
    t_.t_read_ns = o.get_real("t_read_ns");
    t_.t_adc_bit_ns = o.get_real("t_adc_bit_ns");
    t_.noc_ghz = o.get_real("noc_ghz");
    t_.router_cycles = static_cast<int>(o.get_int("router_cycles"));
    t_.link_cycles = static_cast<int>(o.get_int("link_cycles"));
    t_.flit_bits = static_cast<int>(o.get_int("flit_bits"));
    t_.e_mac_pj = o.get_real("e_mac_pj");
    t_.e_adc_4bit_pj = o.get_real("e_adc_4bit_pj");
    t_.e_flit_hop_pj = o.get_real("e_flit_hop_pj");
    t_.a_cell_um2 = o.get_real("a_cell_um2");
    t_.a_adc_4bit_mm2 = o.get_real("a_adc_4bit_mm2");
    t_.a_tile_periph_mm2 = o.get_real("a_tile_periph_mm2");
    t_.a_router_mm2 = o.get_real("a_router_mm2");
    t_.max_tiles = static_cast<int>(o.get_int("max_tiles"));
    space_ =
        Space({Dimension::categorical_of("crossbar", o.get_int_list("crossbar_sizes")),
               Dimension::categorical_of("tiles_per_router", o.get_int_list("tiles_per_router")),
               Dimension::categorical_of("noc_bandwidth", o.get_int_list("noc_bandwidths")),
               Dimension::categorical_of("adc_bits", o.get_int_list("adc_bits"))});
    for (const char* k : {"crossbar_sizes", "tiles_per_router", "noc_bandwidths", "adc_bits"})
      if (o.get_int_list(k).empty()) throw ConfigError(std::string("option '") + k + "' is empty");
    sizes_ = o.get_int_list("crossbar_sizes");
    tpr_ = o.get_int_list("tiles_per_router");
    bws_ = o.get_int_list("noc_bandwidths");
    adcs_ = o.get_int_list("adc_bits");
  }

  static OptionSchema schema() {
    OptionSchema s;
    s.add_int_list("crossbar_sizes", {64, 128, 256}, "Design space: crossbar rows = columns", 8,
                   4096, "cells");
    s.add_int_list("tiles_per_router", {1, 2, 4}, "Design space: tiles sharing one NoC router", 1,
                   64, "tiles");
    s.add_int_list("noc_bandwidths", {1, 2, 4, 8}, "Design space: NoC link bandwidth", 1, 64,
                   "flits/cycle");
    s.add_int_list("adc_bits", {4, 5, 6, 7, 8}, "Design space: ADC precision", 1, 16, "bits");
    s.add_int("weight_bits", 8, "Weight precision b_w", 1, 32, "bits");
    s.add_int("cell_bits", 2, "Bits stored per ReRAM cell b_cell", 1, 8, "bits");
    s.add_int("input_bits", 8, "Input precision b_in (applied bit-serially)", 1, 32, "bits");
    s.add_int("activation_bits", 8, "Precision of activations sent over the NoC", 1, 32, "bits");
    s.add_int("crossbars_per_tile", 8, "Crossbars per tile", 1, 1024, "crossbars");
    s.add_int("adcs_per_crossbar", 8, "Column ADCs per crossbar (shared by its columns)", 1, 4096,
              "ADCs");
    s.add_real("t_read_ns", 10, "Crossbar read time per input bit", 0.01, 1e6, "ns");
    s.add_real("t_adc_bit_ns", 0.5, "SAR ADC time per bit", 0.001, 1e3, "ns");
    s.add_real("noc_ghz", 1.0, "NoC clock", 0.01, 100, "GHz");
    s.add_int("router_cycles", 2, "Router pipeline delay per hop", 0, 100, "cycles");
    s.add_int("link_cycles", 1, "Link delay per hop", 0, 100, "cycles");
    s.add_int("flit_bits", 64, "Flit size", 8, 4096, "bits");
    s.add_real("e_mac_pj", 0.02, "Energy of one analog MAC", 0, 1e3, "pJ");
    s.add_real("e_adc_4bit_pj", 0.4, "Energy of one 4-bit conversion (x2 per extra bit)", 0, 1e3,
               "pJ");
    s.add_real("e_flit_hop_pj", 1.0, "Energy of one flit over one router and link", 0, 1e3, "pJ");
    s.add_real("a_cell_um2", 0.025, "Area of one 1T1R cell", 0, 1e3, "um2");
    s.add_real("a_adc_4bit_mm2", 0.0006, "Area of one 4-bit ADC (x2 per extra bit)", 0, 10, "mm2");
    s.add_real("a_tile_periph_mm2", 0.05, "Tile peripherals (buffers, shift-add, activation)", 0,
               100, "mm2");
    s.add_real("a_router_mm2", 0.02, "Router area per flit/cycle of bandwidth", 0, 100, "mm2");
    s.add_int("max_tiles", 4096, "Tiles on the chip; a network needing more is infeasible", 1,
              10000000, "tiles");
    return s;
  }

  const Space& design_space() const override { return space_; }

  std::vector<MetricInfo> metrics() const override {
    return {{"edap", "mJ*ms*mm2", Direction::kMinimize, "Energy x delay x area"},
            {"latency_ms", "ms", Direction::kMinimize, "Inference latency (batch 1)"},
            {"energy_mj", "mJ", Direction::kMinimize, "Energy per inference"},
            {"area_mm2", "mm2", Direction::kMinimize, "Chip area: tiles and routers"},
            {"tiles", "tiles", Direction::kMinimize, "Tiles used"},
            {"adc_deficit_bits", "bits", Direction::kMinimize,
             "Bits an exact column sum needs beyond the ADC precision (accuracy risk)"}};
  }

  /// Calibration (README.md, "Calibration"): scales on the modelled crossbar and NoC times,
  /// fixed costs per layer and per image.
  std::vector<Coefficient> coefficients() const override {
    const double inf = std::numeric_limits<double>::infinity();
    return {
        {"compute_scale", "", "multiplies the modelled crossbar (compute) time", cal_[0], 1e-3, 1e3,
         1.0, true},
        {"noc_scale", "", "multiplies the modelled NoC time", cal_[1], 1e-3, 1e3, 1.0, true},
        {"per_layer_us", "us", "fixed cost of each mapped layer", cal_[2], 0.0, inf, 10.0, false},
        {"per_image_us", "us", "fixed cost of one inference (host I/O)", cal_[3], 0.0, inf, 100.0,
         false}};
  }

  LatencyModel latency_model(const Network& net, const Point& p) const override {
    const auto r = coex::imc::evaluate(net, design_of(p), t_);
    if (!r.feasible) throw InvalidCandidate(r.reason);
    const Terms terms = terms_of(r);
    return [terms](const std::vector<double>& v) { return latency_ms(terms, v); };
  }

  void set_coefficients(const std::vector<double>& v) override {
    if (v.size() != cal_.size()) throw Error("imc: 4 coefficient values expected");
    std::copy(v.begin(), v.end(), cal_.begin());
  }

  HardwareResult evaluate(const Network& net, const Point& p) const override {
    const Design d = design_of(p);
    auto r = coex::imc::evaluate(net, d, t_);
    if (r.feasible && !(cal_[0] == 1 && cal_[1] == 1 && cal_[2] == 0 && cal_[3] == 0))
      r.latency_ms = latency_ms(terms_of(r), {cal_.begin(), cal_.end()});
    HardwareResult h;
    h.design = p;
    h.feasible = r.feasible;
    h.reason = r.reason;
    h.metrics.set("edap", r.energy_mj * r.latency_ms * r.area_mm2);
    h.metrics.set("latency_ms", r.latency_ms);
    h.metrics.set("energy_mj", r.energy_mj);
    h.metrics.set("area_mm2", r.area_mm2);
    h.metrics.set("tiles", static_cast<double>(r.tiles));
    h.metrics.set("adc_deficit_bits", r.adc_deficit_bits);
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "%dx%d crossbars (%lld), %lld tiles, %lld routers, %d flit/cycle, %d-bit ADC",
                  d.crossbar, d.crossbar, static_cast<long long>(r.crossbars),
                  static_cast<long long>(r.tiles), static_cast<long long>(r.routers),
                  d.bandwidth_flits, d.adc_bits);
    h.summary = buf;
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : r.layers)
      layers.push_back({{"node", l.node},
                        {"crossbars", l.crossbars},
                        {"hops", l.hops},
                        {"compute_ns", l.compute_ns},
                        {"noc_ns", l.noc_ns}});
    h.detail = {
        {"crossbars", r.crossbars}, {"tiles", r.tiles}, {"routers", r.routers}, {"layers", layers}};
    return h;
  }

 private:
  Design design_of(const Point& p) const {
    Design d;
    d.crossbar = static_cast<int>(sizes_[static_cast<std::size_t>(p.at(0))]);
    d.tiles_per_router = static_cast<int>(tpr_[static_cast<std::size_t>(p.at(1))]);
    d.bandwidth_flits = static_cast<int>(bws_[static_cast<std::size_t>(p.at(2))]);
    d.adc_bits = static_cast<int>(adcs_[static_cast<std::size_t>(p.at(3))]);
    return d;
  }
  /// Modelled crossbar and NoC time (ns) and mapped layers of one evaluation.
  struct Terms {
    double compute_ns = 0, noc_ns = 0, layers = 0;
  };
  static Terms terms_of(const coex::imc::Result& r) {
    Terms t;
    for (const auto& l : r.layers) t.compute_ns += l.compute_ns, t.noc_ns += l.noc_ns;
    t.layers = static_cast<double>(r.layers.size());
    return t;
  }
  static double latency_ms(const Terms& t, const std::vector<double>& v) {
    return (v[0] * t.compute_ns + v[1] * t.noc_ns + (v[2] * t.layers + v[3]) * 1e3) * 1e-6;
  }

  /// compute_scale, noc_scale, per_layer_us, per_image_us.
  std::array<double, 4> cal_{1, 1, 0, 0};
  Technology t_;
  Space space_;
  std::vector<std::int64_t> sizes_, tpr_, bws_, adcs_;
};

}  // namespace coex::plugins::imc_target

COEX_PLUGIN(coex::plugins::imc_target::Imc, "imc", "0.1.0",
            "In-memory-computing accelerator: ReRAM crossbar tiles on a mesh NoC (latency, "
            "energy, area); design space: crossbar, tiles/router, NoC bandwidth, ADC bits")
