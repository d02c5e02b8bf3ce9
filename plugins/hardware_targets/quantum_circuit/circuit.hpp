// QuantumFlow networks as quantum circuits (QuantumFlow, Jiang et al., Nature Communications 2021;
// README.md): the compiler from a coex::Network of qf_u / qf_p / qf_n layers (with their binary
// weights and N-LYR factors) to a circuit over the basic gate set {X, Z, H, RY, CX, CZ, CCX} with
// input encoding ops, its resource counts, its execution on the state-vector simulator (exact or
// with shots), and the closed-form forward pass (QF-FB(C)) the circuit must reproduce.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "coex/network.hpp"
#include "statevector.hpp"

namespace coex::qf {

/// How a U-LYR neuron's weight signs become gates.
enum class Mapping {
  kQfMap,     ///< QF-Map: at most k-1 multi-controlled Z gates plus a permutation of the encoding
  kBaseline,  ///< the sign-flip walk of FFNN(Q) (Tacchino et al.): up to O(2^k) gates
};

/// Where the ancillas of multi-controlled gates come from.
enum class Ancillas {
  kShared,     ///< one pool reused by every gate of the circuit: fewest qubits, gates serialise
  kPerNeuron,  ///< each neuron has its own: more qubits, neurons of a layer run in parallel
};

const char* mapping_name(Mapping m);
const char* ancillas_name(Ancillas a);

/// Trained (or drawn) values of one quantum layer.
struct LayerParams {
  /// qf_u / qf_p: per neuron, one +1/-1 weight per input.
  std::vector<std::vector<int>> weights;
  /// qf_n: per feature, the probability map p -> p t1 + (1 - p) t0 (both in [0, 1]) that the
  /// batch-adjust and individual-adjust compose to: lifting (mean <= 0.5) with batch factor f and
  /// individual factor g gives t1 = g, t0 = g f; scaling gives t1 = g f, t0 = 0.
  std::vector<double> t1, t0;
};

/// Parameters of every quantum layer, by IR node id.
using NetworkParams = std::map<int, LayerParams>;

/// Parameters drawn uniformly (weights +-1; t1, t0 with t0 = 0 half of the time) from `seed`.
/// Throws coex::InvalidCandidate for a network that is not a QuantumFlow network (see compile).
NetworkParams random_params(const Network& net, std::uint64_t seed);

/// The N-LYR pair (t1, t0) of a feature from its trained factors (see LayerParams).
void norm_map(bool lifts, double batch_factor, double individual_factor, double& t1, double& t0);

/// One circuit operation. Gates act on `target` when every qubit of `controls` is 1; after
/// compilation no gate has more than two controls.
struct CircuitOp {
  enum class Kind {
    kX,
    kZ,
    kH,
    kRy,               ///< RY(angle)
    kEncodeAmplitude,  ///< prepares |0..0> of `qubits` as the input amplitudes, x_perm[p] on state
                       ///< p
    kEncodeProbability,  ///< RY(2 asin sqrt(x_input)) on `target`: P(1) = input pixel `input`
  };
  Kind kind = Kind::kX;
  int target = -1;
  std::vector<int> controls;
  double angle = 0;
  std::vector<int> qubits;         ///< kEncodeAmplitude: qubit b = bit b of the basis index
  std::vector<std::int64_t> perm;  ///< kEncodeAmplitude: input index per basis state
  std::int64_t input = -1;         ///< kEncodeProbability: input index
};

/// Resource counts of a compiled circuit. Encoding ops (state preparation) are not gates: the
/// published cost model leaves them out; they count in depth as one step each.
struct Resources {
  int qubits = 0;
  std::int64_t gates = 0;            ///< basic gates: X, Z, H, RY, CX, CZ, CCX count one each
  std::int64_t two_qubit_gates = 0;  ///< CX and CZ count one, CCX six (its standard CNOT count)
  std::int64_t toffolis = 0;
  std::int64_t depth = 0;      ///< layers of an as-soon-as-possible schedule
  std::int64_t encodings = 0;  ///< state-preparation ops
};

struct Circuit {
  int qubits = 0;
  std::int64_t inputs = 0;  ///< input features (pixels)
  std::vector<CircuitOp> ops;
  std::vector<int> outputs;  ///< the output qubits, one per network output, in order
  Resources resources() const;
};

/// Options of the compiler (the target's design space).
struct CompileOptions {
  Mapping mapping = Mapping::kQfMap;
  Ancillas ancillas = Ancillas::kShared;
};

/// Compiles `net` with `params` into a circuit. The network must be: input, flatten (when the
/// input is not flat), then a chain of qf_u (only first), qf_p and qf_n layers. Throws
/// coex::InvalidCandidate naming the offending node otherwise, or when params do not fit.
Circuit compile(const Network& net, const NetworkParams& params, const CompileOptions& options);

/// Runs the circuit on one input (pixels in [0, 1]; amplitudes are normalised, an all-zero input
/// encodes as the uniform state) and returns P(output qubit = 1) per output, exactly.
std::vector<double> run_exact(const Circuit& c, const std::vector<double>& input);
/// Same, estimated from `shots` measurements.
std::vector<double> run_shots(const Circuit& c, const std::vector<double>& input, int shots,
                              std::mt19937_64& rng);

/// The closed forms (QF-FB(C)): U-LYR (sum w x^)^2 / n, P-LYR (m - |e|^2 + (w.e)^2) / m^2, N-LYR
/// p t1 + (1 - p) t0. Same network requirements as compile().
std::vector<double> classical_forward(const Network& net, const NetworkParams& params,
                                      const std::vector<double>& input);

/// Classical cost of the network's neurons as fully connected layers: per neuron on n = 2^k
/// inputs 2n + k (QuantumFlow's QF-Nets).
std::int64_t network_classical_cost(const Network& net);

}  // namespace coex::qf
