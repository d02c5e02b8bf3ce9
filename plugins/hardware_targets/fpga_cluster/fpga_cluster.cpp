#include "fpga_cluster.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <set>
#include <tuple>

#include "coex/error.hpp"
#include "coex/plugin_entry.hpp"

namespace coex::plugins::fpga_cluster {

using json = nlohmann::json;

namespace {

/// The fields of a custom board (`[[hardware.options.boards]]`), validated by the host.
std::vector<OptionSpec> board_fields() {
  using T = OptionSpec::Type;
  OptionSchema f;
  f.add_required("name", T::kString, "Board name, used in 'pool'; a preset's name replaces it");
  f.add_required("dsp", T::kInt, "DSP slices", 1, 1e6);
  f.add_required("bram18k", T::kInt, "18 Kb block RAMs", 1, 1e6);
  f.add_int("port_bits", 512, "Off-chip port bandwidth per cycle", 1, 1e6, "bits");
  f.add_real("clock_mhz", 100, "Clock frequency", 1, 2000, "MHz");
  f.add_real("static_w", 1, "Static power", 0, 1e4, "W");
  f.add_real("dsp_w", 0.0006, "Power per used DSP at the reference clock", 0, 1, "W");
  f.add_real("bram_w", 0.0012, "Power per used BRAM18K at the reference clock", 0, 1, "W");
  f.add_real("io_w_per_bit", 0.0015, "Power per used port bit at the reference clock", 0, 1, "W");
  return f.specs();
}

}  // namespace

OptionSchema FpgaCluster::schema() {
  OptionSchema s;
  s.add_string_list(
      "pool", {"zcu102", "zcu104", "zc706"},
      "FPGAs available to the pipeline, by preset or [[boards]] name (zcu102, zcu104, "
      "zc706, ultra96, pynq_z1, vcu118); a name may repeat");
  s.add_table_list("boards", "Custom boards, used by name in 'pool'", board_fields());
  s.add_int_list("tm", {8, 16, 24, 32, 40, 48}, "Tiling grid: output-channel tile Tm", 1, 4096);
  s.add_int_list("tn", {1, 2, 3, 4, 5, 6, 7, 8}, "Tiling grid: input-channel tile Tn", 1, 4096);
  s.add_int_list("tr", {32, 64}, "Tiling grid: row tile Tr", 1, 4096, "rows");
  s.add_int_list("tc", {32, 64}, "Tiling grid: column tile Tc", 1, 4096, "cols");
  s.add_int_list("wp", {2}, "Tiling grid: weight port words per cycle W_p", 1, 64, "words/cycle");
  s.add_int_list("ip", {2}, "Tiling grid: input port words per cycle I_p", 1, 64, "words/cycle");
  s.add_int_list("op", {2}, "Tiling grid: output port words per cycle O_p", 1, 64, "words/cycle");
  s.add_int("bits", 16, "Data width; 32 means fp32 (5 DSP per MAC)", 4, 32, "bits");
  s.add_int("batch", 1, "Images per pipeline pass B", 1, 1024, "images");
  s.add_real("link_gbps", 10, "Board-to-board link bandwidth", 0.001, 1e4, "Gbit/s");
  s.add_bool("bram_check", true, "Enforce the BRAM18K limit (false reproduces the original code)");
  s.add_bool("input_halo", false, "Input tile includes the halo, (Tr-1)*S+K rows (original: Tr)");
  s.add_string(
      "transfer", "sender",
      "sender: a stage's outgoing transfer adds to its time; separate: transfers are stages",
      {"sender", "separate"});
  s.add_bool("try_all_orders", true, "Try every order of the pool (pools of <= 4 boards)");
  s.add_real("f_ref_mhz", 100, "Clock at which the dynamic power coefficients hold", 1, 2000,
             "MHz");
  s.add_string("tune_objective", "throughput_fps",
               "What tune() maximises/minimises among designs meeting the specs",
               {"throughput_fps", "gops_per_w", "latency_ms", "energy_mj"});
  return s;
}

FpgaCluster::FpgaCluster(const Options& o, const PluginContext&)
    : tm_(o.get_int_list("tm")),
      tn_(o.get_int_list("tn")),
      tr_(o.get_int_list("tr")),
      tc_(o.get_int_list("tc")),
      wp_(o.get_int_list("wp")),
      ip_(o.get_int_list("ip")),
      op_(o.get_int_list("op")),
      batch_(static_cast<int>(o.get_int("batch"))),
      f_ref_mhz_(o.get_real("f_ref_mhz")),
      try_all_orders_(o.get_bool("try_all_orders")),
      tune_objective_(o.get_string("tune_objective")) {
  planner_options_.bits = static_cast<int>(o.get_int("bits"));
  planner_options_.bram_check = o.get_bool("bram_check");
  planner_options_.input_halo = o.get_bool("input_halo");
  planner_options_.link_gbps = o.get_real("link_gbps");
  planner_options_.separate_transfer = o.get_string("transfer") == "separate";
  for (const auto* l : {&tm_, &tn_, &tr_, &tc_, &wp_, &ip_, &op_})
    if (l->empty())
      throw ConfigError("tiling grid options (tm, tn, tr, tc, wp, ip, op) must not be empty");

  // Entries were validated against board_fields() (defaults filled in) by the host.
  std::vector<Board> custom;
  for (const json& t : o.get_json("boards")) {
    Board b;
    b.name = t.at("name").get<std::string>();
    b.dsp = t.at("dsp").get<int>();
    b.bram18k = t.at("bram18k").get<int>();
    b.port_bits = t.at("port_bits").get<int>();
    b.clock_mhz = t.at("clock_mhz").get<double>();
    b.static_w = t.at("static_w").get<double>();
    b.dsp_w = t.at("dsp_w").get<double>();
    b.bram_w = t.at("bram_w").get<double>();
    b.io_w_per_bit = t.at("io_w_per_bit").get<double>();
    custom.push_back(b);
  }
  pool_ = resolve_pool(
      o.get_string_list("pool"), board_presets(), custom, [](const Board& b) { return b.name; },
      "pool", "board", "boards");

  // Board orders: every distinct order of the pool when small, else the config's.
  std::vector<int> order(pool_.size());
  std::iota(order.begin(), order.end(), 0);
  if (try_all_orders_ && pool_.size() <= 4) {
    std::set<std::vector<std::string>> seen;
    do {
      std::vector<std::string> names;
      for (int b : order) names.push_back(pool_[static_cast<std::size_t>(b)].name);
      if (seen.insert(names).second) orders_.push_back(order);
    } while (std::next_permutation(order.begin(), order.end()));
  } else {
    orders_.push_back(order);
  }

  // Design space for `searched` mode: number of boards, then a tiling per pool board.
  std::vector<Dimension> dims;
  std::vector<std::string> counts;
  for (std::size_t i = 1; i <= pool_.size(); ++i) counts.push_back(std::to_string(i));
  dims.push_back(Dimension::categorical("fpgas", counts));
  for (std::size_t b = 0; b < pool_.size(); ++b) {
    const std::string p = "fpga" + std::to_string(b) + "_";
    dims.push_back(Dimension::categorical_of(p + "tm", tm_));
    dims.push_back(Dimension::categorical_of(p + "tn", tn_));
    dims.push_back(Dimension::categorical_of(p + "tr", tr_));
    dims.push_back(Dimension::categorical_of(p + "tc", tc_));
    if (wp_.size() > 1) dims.push_back(Dimension::categorical_of(p + "wp", wp_));
    if (ip_.size() > 1) dims.push_back(Dimension::categorical_of(p + "ip", ip_));
    if (op_.size() > 1) dims.push_back(Dimension::categorical_of(p + "op", op_));
  }
  design_space_ = Space(std::move(dims));
}

std::vector<MetricInfo> FpgaCluster::metrics() const {
  return {
      {"throughput_fps", "images/s", Direction::kMaximize, "1 / slowest pipeline stage"},
      {"latency_ms", "ms", Direction::kMinimize,
       "one image through every stage, transfers included"},
      {"power_w", "W", Direction::kMinimize, "sum of the used boards' power model"},
      {"energy_mj", "mJ", Direction::kMinimize,
       "energy per image in steady state: power / throughput"},
      {"gops_per_w", "GOPS/W", Direction::kMaximize, "2*MACs*throughput / power"},
      {"dsp", "slices", Direction::kMinimize, "DSP slices used over all boards"},
      {"bram18k", "blocks", Direction::kMinimize, "BRAM18K blocks used over all boards"},
      {"fpgas", "boards", Direction::kMinimize, "boards used"},
  };
}

std::vector<Tiling> FpgaCluster::grid(int tk) const {
  std::vector<Tiling> g;
  for (auto tm : tm_)
    for (auto tn : tn_)
      for (auto tr : tr_)
        for (auto tc : tc_)
          for (auto wp : wp_)
            for (auto ip : ip_)
              for (auto op : op_)
                g.push_back({static_cast<int>(tm), static_cast<int>(tn), static_cast<int>(tr),
                             static_cast<int>(tc), tk, static_cast<int>(wp), static_cast<int>(ip),
                             static_cast<int>(op)});
  return g;
}

PipelinePlanner FpgaCluster::planner_for(const Network& net) const {
  auto layers = layers_of(net, batch_);
  int tk = 1;
  for (const auto& l : layers) tk = std::max(tk, l.k);  // one weight-buffer shape for all stages
  return PipelinePlanner(std::move(layers), pool_, grid(tk), planner_options_);
}

namespace {
/// Power of one board running a tiling: static plus dynamic scaled by clock (plugin README).
double board_power(const Board& b, const Resources& res, double f_ref_mhz) {
  return b.static_w + (b.clock_mhz / f_ref_mhz) * (b.dsp_w * res.dsp + b.bram_w * res.bram18k +
                                                   b.io_w_per_bit * res.port_bits);
}
}  // namespace

Metrics FpgaCluster::metrics_of(const Pipeline& planned, std::int64_t macs) const {
  const Pipeline p = calibrated(planned);
  double power = 0;
  int dsp = 0, bram = 0;
  for (const auto& s : p.stages) {
    const Board& b = pool_[static_cast<std::size_t>(s.board)];
    const Resources res = resources(s.tiling, planner_options_.bits);
    dsp += res.dsp;
    bram += res.bram18k;
    power += board_power(b, res, f_ref_mhz_);
  }
  const double fps = static_cast<double>(batch_) / p.max_stage_s;
  Metrics m;
  m.set("throughput_fps", fps);
  m.set("latency_ms", p.latency_s * 1e3);
  m.set("power_w", power);
  m.set("energy_mj", power / fps * 1e3);
  m.set("gops_per_w", 2.0 * static_cast<double>(macs) * fps / 1e9 / power);
  m.set("dsp", dsp);
  m.set("bram18k", bram);
  m.set("fpgas", static_cast<double>(p.stages.size()));
  return m;
}

HardwareResult FpgaCluster::describe(const PipelinePlanner& planner, const Pipeline& p,
                                     std::int64_t macs) const {
  HardwareResult r;
  r.feasible = true;
  r.metrics = metrics_of(p, macs);
  json stages = json::array();
  r.summary = std::to_string(p.stages.size()) + (p.stages.size() == 1 ? " FPGA:" : " FPGAs:");
  // The stage times as the metrics count them (calibration applied).
  const Pipeline timed = calibrated(p);
  for (std::size_t k = 0; k < p.stages.size(); ++k) {
    const Stage& s = p.stages[k];
    const Board& b = pool_[static_cast<std::size_t>(s.board)];
    const Resources res = resources(s.tiling, planner_options_.bits);
    const double power = board_power(b, res, f_ref_mhz_);
    stages.push_back({{"board", b.name},
                      {"pool_index", s.board},
                      {"layers", {s.first, s.last}},
                      {"tiling",
                       {{"tm", s.tiling.tm},
                        {"tn", s.tiling.tn},
                        {"tr", s.tiling.tr},
                        {"tc", s.tiling.tc},
                        {"tk", s.tiling.tk},
                        {"wp", s.tiling.wp},
                        {"ip", s.tiling.ip},
                        {"op", s.tiling.op}}},
                      {"compute_ms", timed.stages[k].compute_s * 1e3},
                      {"transfer_ms", timed.stages[k].transfer_s * 1e3},
                      {"dsp", res.dsp},
                      {"bram18k", res.bram18k},
                      {"power_w", power},
                      {"bottleneck", planner.bottleneck(s)}});
    r.summary += " " + b.name + "[L" + std::to_string(s.first + 1) + "-" +
                 std::to_string(s.last + 1) + " Tm=" + std::to_string(s.tiling.tm) +
                 " Tn=" + std::to_string(s.tiling.tn) + " Tr=" + std::to_string(s.tiling.tr) +
                 " Tc=" + std::to_string(s.tiling.tc) + "]";
  }
  r.detail = {{"stages", stages}};
  return r;
}

namespace {
// The pipeline maps conv and linear layers; a network without any (a QuantumFlow network, say)
// has nothing to run on the FPGAs.
std::optional<HardwareResult> without_layers(const Network& net, const Point& design) {
  for (const auto& n : net.nodes())
    if (is_conv(n.op) || n.op == OpKind::kLinear) return std::nullopt;
  HardwareResult r;
  r.design = design;
  r.feasible = false;
  r.reason = "fpga_cluster runs conv and linear layers; the network has none";
  return r;
}
}  // namespace

Pipeline FpgaCluster::pipeline_of(const PipelinePlanner& planner, const Point& design,
                                  std::string& why) const {
  const auto& g = planner.tilings();
  std::size_t i = 0;
  const std::size_t used = static_cast<std::size_t>(design[i++]) + 1;
  std::vector<std::vector<int>> allowed(pool_.size());
  auto pick = [&](const std::vector<std::int64_t>& v) -> int {
    if (v.size() == 1) return static_cast<int>(v[0]);
    return static_cast<int>(v[static_cast<std::size_t>(design[i++])]);
  };
  for (std::size_t b = 0; b < pool_.size(); ++b) {
    Tiling t{pick(tm_),    pick(tn_), pick(tr_), pick(tc_),
             g.front().tk, pick(wp_), pick(ip_), pick(op_)};
    const auto it = std::find_if(g.begin(), g.end(), [&](const Tiling& x) {
      return x.tm == t.tm && x.tn == t.tn && x.tr == t.tr && x.tc == t.tc && x.wp == t.wp &&
             x.ip == t.ip && x.op == t.op;
    });
    const int idx = static_cast<int>(it - g.begin());
    if (b < used) {
      if (auto w = misfit(*it, pool_[b], planner_options_.bits, planner_options_.bram_check)) {
        why = "tiling " + it->to_string() + " does not fit: " + *w;
        return {};
      }
    }
    allowed[b] = {idx};
  }
  std::vector<int> order(used);
  std::iota(order.begin(), order.end(), 0);
  auto plans = planner.plan(order, allowed);
  if (plans[used - 1].stages.empty())
    why = "cannot split " + std::to_string(planner.layers().size()) + " layers over " +
          std::to_string(used) + " FPGAs";
  return std::move(plans[used - 1]);
}

HardwareResult FpgaCluster::evaluate(const Network& net, const Point& design) const {
  design_space_.check(design);
  if (auto r = without_layers(net, design)) return *r;
  const PipelinePlanner planner = planner_for(net);
  std::string why;
  const Pipeline p = pipeline_of(planner, design, why);
  if (p.stages.empty()) {
    HardwareResult r;
    r.design = design;
    r.feasible = false;
    r.reason = why;
    return r;
  }
  HardwareResult r = describe(planner, p, net.macs());
  r.design = design;
  return r;
}

Breakdown FpgaCluster::breakdown(const Network& net, const HardwareResult& design) const {
  if (!design.feasible)
    throw InvalidCandidate("no breakdown of an infeasible design: " + design.reason);
  json detail = design.detail;
  double latency_ms = design.metrics.find("latency_ms").value_or(0);
  if (!detail.contains("stages")) {
    // A design point (searched mode, or a result without its detail): evaluate it.
    const HardwareResult r = evaluate(net, design.design);
    if (!r.feasible) throw InvalidCandidate(r.reason);
    detail = r.detail;
    latency_ms = r.metrics.get("latency_ms");
  }
  Breakdown b;
  b.part_kind = "stage";
  b.add_column("stage_ms", "ms", "compute plus outgoing transfer: the slowest stage sets the rate");
  b.add_column("compute_ms", "ms", "the stage's layers on its board with its tiling");
  b.add_column("transfer_ms", "ms", "activations sent to the next board");
  b.add_column("dsp", "", "DSP slices the tiling uses");
  b.add_column("bram18k", "", "18 Kb block RAMs the tiling's buffers use");
  b.add_column("power_w", "W", "static plus clock-scaled dynamic power of the board");
  double slowest = 0;
  try {
    int k = 0;
    for (const auto& st : detail.at("stages")) {
      const auto layers = st.at("layers");
      const json& t = st.at("tiling");
      const double compute = st.at("compute_ms").get<double>();
      const double transfer = st.at("transfer_ms").get<double>();
      slowest = std::max(slowest, compute + transfer);
      char tiling[96];
      std::snprintf(tiling, sizeof tiling, "Tm=%d Tn=%d Tr=%d Tc=%d", t.at("tm").get<int>(),
                    t.at("tn").get<int>(), t.at("tr").get<int>(), t.at("tc").get<int>());
      b.add_part("stage " + std::to_string(++k),
                 st.at("board").get<std::string>() + ", layers " +
                     std::to_string(layers.at(0).get<int>() + 1) + "-" +
                     std::to_string(layers.at(1).get<int>() + 1) + ", " + tiling + ", " +
                     st.at("bottleneck").get<std::string>(),
                 {compute + transfer, compute, transfer, st.at("dsp").get<double>(),
                  st.at("bram18k").get<double>(), st.value("power_w", 0.0)});
    }
  } catch (const json::exception& e) {
    throw InvalidCandidate(std::string("fpga_cluster: the design's detail is not a pipeline (") +
                           e.what() + ")");
  }
  char note[256];
  std::snprintf(note, sizeof note,
                "A pipeline: one image passes every stage (latency %.4g ms); the stages work on "
                "different images at once, so the slowest stage (%.4g ms) sets the throughput.",
                latency_ms, slowest);
  b.note = note;
  return b;
}

std::vector<Coefficient> FpgaCluster::coefficients() const {
  const double inf = std::numeric_limits<double>::infinity();
  return {{"compute_scale", "",
           "multiplies each stage's modelled compute time (clock derating, "
           "stalls the tiling model misses)",
           compute_scale_, 1e-3, 1e3, 1.0, true},
          {"transfer_scale", "", "multiplies each inter-board transfer time (link efficiency)",
           transfer_scale_, 1e-3, 1e3, 1.0, true},
          {"per_layer_us", "us", "fixed cost of each layer (reconfiguration, DMA setup)",
           per_layer_us_, 0.0, inf, 10.0, false},
          {"per_image_us", "us", "fixed cost of one image (host I/O)", per_image_us_, 0.0, inf,
           100.0, false}};
}

LatencyModel FpgaCluster::latency_model(const Network& net, const Point& design) const {
  design_space_.check(design);
  if (without_layers(net, design))
    throw InvalidCandidate("fpga_cluster runs conv and linear layers; the network has none");
  std::string why;
  const Pipeline p = pipeline_of(planner_for(net), design, why);
  if (p.stages.empty()) throw InvalidCandidate(why);
  double compute = 0, transfer = 0, layers = 0;
  for (const auto& s : p.stages) {
    compute += s.compute_s;
    transfer += s.transfer_s;
    layers += s.last - s.first + 1;
  }
  return [compute, transfer, layers](const std::vector<double>& v) {
    return 1e3 * (v[0] * compute + v[1] * transfer + (v[2] * layers + v[3]) * 1e-6);
  };
}

void FpgaCluster::set_coefficients(const std::vector<double>& v) {
  if (v.size() != 4) throw Error("fpga_cluster: 4 coefficient values expected");
  compute_scale_ = v[0], transfer_scale_ = v[1], per_layer_us_ = v[2], per_image_us_ = v[3];
}

Pipeline FpgaCluster::calibrated(const Pipeline& p) const {
  if (compute_scale_ == 1 && transfer_scale_ == 1 && per_layer_us_ == 0 && per_image_us_ == 0)
    return p;
  Pipeline c = p;
  c.max_stage_s = 0;
  c.latency_s = per_image_us_ * 1e-6;
  for (auto& s : c.stages) {
    s.compute_s = compute_scale_ * s.compute_s + per_layer_us_ * 1e-6 * (s.last - s.first + 1);
    s.transfer_s *= transfer_scale_;
    c.latency_s += s.compute_s + s.transfer_s;
    c.max_stage_s = planner_options_.separate_transfer
                        ? std::max({c.max_stage_s, s.compute_s, s.transfer_s})
                        : std::max(c.max_stage_s, s.compute_s + s.transfer_s);
  }
  return c;
}

HardwareResult FpgaCluster::tune(const Network& net, const Specs& specs) const {
  if (auto r = without_layers(net, {})) return *r;
  const PipelinePlanner planner = planner_for(net);
  bool any = false;
  std::string why;
  for (std::size_t b = 0; b < pool_.size(); ++b) {
    any |= !planner.fitting(static_cast<int>(b)).empty();
    if (why.empty()) why = planner.misfit_reason(static_cast<int>(b));
  }
  if (!any) {
    HardwareResult r;
    r.feasible = false;
    r.reason = "no tiling of the grid fits any board (" + why + ")";
    return r;
  }
  Direction dir = Direction::kMaximize;
  for (const auto& m : metrics())
    if (m.name == tune_objective_) dir = m.direction;
  const std::int64_t macs = net.macs();
  std::optional<Pipeline> best;
  std::tuple<int, double, double, double> best_rank{};
  for (const auto& order : orders_) {
    for (Pipeline& p : planner.plan(order)) {
      if (p.stages.empty()) continue;
      const Metrics m = metrics_of(p, macs);
      const double v = specs.total_violation(m);
      const double obj = m.get(tune_objective_);
      const auto rank = std::make_tuple(v > 0 ? 1 : 0, v, dir == Direction::kMaximize ? -obj : obj,
                                        m.get("power_w"));
      if (!best || rank < best_rank) {
        best = std::move(p);
        best_rank = rank;
      }
    }
  }
  if (!best) {
    HardwareResult r;
    r.feasible = false;
    r.reason = "no pipeline partition exists";
    return r;
  }
  return describe(planner, *best, macs);
}

}  // namespace coex::plugins::fpga_cluster

COEX_PLUGIN(coex::plugins::fpga_cluster::FpgaCluster, "fpga_cluster", "0.1.0",
            "Pool of FPGAs as a layer pipeline: loop-tiling model per board, DP partition, GOPS/W")
