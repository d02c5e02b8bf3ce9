// Hardware target `quantum_circuit`: a QuantumFlow network compiled to a circuit over the basic
// gate set (circuit.hpp), with its qubits, gate cost, depth and two-qubit gate count, on a device
// that has a qubit budget. Design space: the U-LYR weight mapping (QF-Map or the baseline) and
// where ancillas come from (one shared pool or one per neuron). README.md states the model.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "circuit.hpp"
#include "coex/error.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"

namespace coex::plugins::quantum_circuit {

namespace qf = coex::qf;

namespace {

struct Device {
  const char* name;
  int qubits;  ///< 0 = unlimited
  const char* what;
};

// Devices by qubit count (the sizes of IBM's 5-, 27- and 127-qubit generations).
constexpr Device kDevices[] = {
    {"unlimited", 0, "no qubit limit (costs only)"},
    {"ibmq_essex", 5, "5 qubits (IBM Canary/Falcon r4T class, the paper's case study)"},
    {"ibm_falcon", 27, "27 qubits (IBM Falcon r5)"},
    {"ibm_eagle", 127, "127 qubits (IBM Eagle r1)"},
};

const Device& device_named(const std::string& name) {
  for (const auto& d : kDevices)
    if (name == d.name) return d;
  throw ConfigError("option 'device': unknown device '" + name + "'");
}

}  // namespace

class QuantumCircuit final : public HardwareTarget {
 public:
  QuantumCircuit(const Options& o, const PluginContext& ctx)
      : device_(device_named(o.get_string("device"))),
        max_qubits_(static_cast<int>(o.get_int("max_qubits"))),
        seed_(o.get_int("weights_seed") >= 0 ? static_cast<std::uint64_t>(o.get_int("weights_seed"))
                                             : ctx.seed),
        objective_(o.get_string("tune_objective")) {
    if (max_qubits_ == 0) max_qubits_ = device_.qubits;
    require_choices(o.get_string_list("mappings"), "mappings");
    require_choices(o.get_string_list("ancillas"), "ancillas");
    for (const auto& m : o.get_string_list("mappings"))
      mappings_.push_back(m == "qf_map" ? qf::Mapping::kQfMap : qf::Mapping::kBaseline);
    for (const auto& a : o.get_string_list("ancillas"))
      ancillas_.push_back(a == "shared" ? qf::Ancillas::kShared : qf::Ancillas::kPerNeuron);
    std::vector<std::string> m_labels, a_labels;
    for (auto m : mappings_) m_labels.push_back(qf::mapping_name(m));
    for (auto a : ancillas_) a_labels.push_back(qf::ancillas_name(a));
    space_ = Space({Dimension::categorical("mapping", m_labels),
                    Dimension::categorical("ancillas", a_labels)});
  }

  static OptionSchema schema() {
    OptionSchema s;
    s.add_string("device", "unlimited",
                 "Device preset by qubit count: unlimited, ibmq_essex (5), ibm_falcon (27), "
                 "ibm_eagle (127); a circuit needing more qubits is infeasible",
                 {"unlimited", "ibmq_essex", "ibm_falcon", "ibm_eagle"});
    s.add_int("max_qubits", 0, "Qubit budget overriding the device's (0 = the device's)", 0, 100000,
              "qubits");
    s.add_string_list("mappings", {"qf_map", "baseline"},
                      "Design space: U-LYR weight mappings (QF-Map: <= k-1 sign gates and a "
                      "permutation; baseline: the sign-flip walk, up to O(2^k) gates)",
                      {"qf_map", "baseline"});
    s.add_string_list("ancillas", {"shared", "per_neuron"},
                      "Design space: ancillas of multi-controlled gates from one shared pool "
                      "(fewest qubits) or per neuron (neurons run in parallel: less depth)",
                      {"shared", "per_neuron"});
    s.add_int("weights_seed", -1,
              "Seed of the +-1 weights and N-LYR factors the circuit is compiled with (they are "
              "not known before training; -1 = the run seed). Combined with the network hash",
              -1, 1LL << 40);
    s.add_string("tune_objective", "gate_cost",
                 "Metric tune() minimises among designs meeting "
                 "the specs",
                 {"gate_cost", "qubits", "depth", "two_qubit_gates"});
    return s;
  }

  const Space& design_space() const override { return space_; }

  std::vector<MetricInfo> metrics() const override {
    return {{"gate_cost", "gates", Direction::kMinimize,
             "Basic gates of the circuit (X, Z, H, RY, CX, CZ, CCX one each), state preparation "
             "excluded as in the published cost model"},
            {"qubits", "qubits", Direction::kMinimize, "Qubits the circuit uses"},
            {"depth", "steps", Direction::kMinimize,
             "Circuit depth: steps of an as-soon-as-possible schedule (an encoding is one step)"},
            {"two_qubit_gates", "gates", Direction::kMinimize,
             "Two-qubit gates after decomposing each Toffoli into 6 CNOTs"},
            {"classical_cost", "ops", Direction::kMinimize,
             "Cost of the same neurons as classical fully connected layers: 2n + k per neuron "
             "on n = 2^k inputs"},
            {"cost_reduction", "x", Direction::kMaximize, "classical_cost / gate_cost"}};
  }

  std::string tune_objective() const override { return objective_; }

  HardwareResult evaluate(const Network& net, const Point& p) const override {
    HardwareResult h;
    h.design = p;
    qf::CompileOptions o;
    o.mapping = mappings_.at(static_cast<std::size_t>(p.at(0)));
    o.ancillas = ancillas_.at(static_cast<std::size_t>(p.at(1)));
    qf::Circuit c;
    try {
      c = qf::compile(net, qf::random_params(net, seed_ ^ net.hash()), o);
    } catch (const InvalidCandidate& e) {
      h.feasible = false;
      h.reason = e.what();
      return h;
    }
    const auto r = c.resources();
    const auto classical = qf::network_classical_cost(net);
    h.metrics.set("gate_cost", static_cast<double>(r.gates));
    h.metrics.set("qubits", static_cast<double>(r.qubits));
    h.metrics.set("depth", static_cast<double>(r.depth));
    h.metrics.set("two_qubit_gates", static_cast<double>(r.two_qubit_gates));
    h.metrics.set("classical_cost", static_cast<double>(classical));
    h.metrics.set("cost_reduction",
                  r.gates > 0 ? static_cast<double>(classical) / static_cast<double>(r.gates) : 0);
    h.feasible = max_qubits_ == 0 || r.qubits <= max_qubits_;
    if (!h.feasible)
      h.reason = "needs " + std::to_string(r.qubits) + " qubits; " + device_.name + " has " +
                 std::to_string(max_qubits_);
    char buf[200];
    std::snprintf(buf, sizeof buf, "%s, %s ancillas: %d qubits, %lld gates, depth %lld",
                  qf::mapping_name(o.mapping), qf::ancillas_name(o.ancillas), r.qubits,
                  static_cast<long long>(r.gates), static_cast<long long>(r.depth));
    h.summary = buf;
    h.detail = {{"mapping", qf::mapping_name(o.mapping)},
                {"ancillas", qf::ancillas_name(o.ancillas)},
                {"toffolis", r.toffolis},
                {"encodings", r.encodings},
                {"device", device_.name},
                {"max_qubits", max_qubits_}};
    return h;
  }

 private:
  const Device& device_;
  int max_qubits_;
  std::uint64_t seed_;
  std::string objective_;
  std::vector<qf::Mapping> mappings_;
  std::vector<qf::Ancillas> ancillas_;
  Space space_;
};

}  // namespace coex::plugins::quantum_circuit

COEX_PLUGIN(coex::plugins::quantum_circuit::QuantumCircuit, "quantum_circuit", "0.1.0",
            "QuantumFlow networks as quantum circuits: qubits, gate cost, depth, two-qubit gates "
            "under a device's qubit budget; design space: QF-Map or baseline mapping, ancillas")
