// OpenQASM 2.0 of a compiled QuantumFlow circuit (tools/deploy/README.md, "circuit.qasm"): the
// gates of coex::qf::Circuit in qelib1.inc's x, z, h, ry, cx, cz and ccx, with the input
// encoding of one input turned into gates (state preparation), then a measurement of the output
// qubits.
#pragma once

#include <string>
#include <vector>

#include "circuit.hpp"

namespace coex::deploy {

/// The OpenQASM 2.0 text of `circuit` run on `input` (pixels in [0, 1], as qf::run_exact reads
/// them). Encodings become gates: a probability encoding one ry(2 asin sqrt(x)); an amplitude
/// encoding the state preparation of Mottonen et al. (2004) for real non-negative amplitudes,
/// one uniformly controlled ry per qubit, each as alternating ry and cx gates (Gray code).
/// `header` lines go first as comments. Throws coex::Error for a gate with more controls than
/// qelib1.inc has (the compiler never emits one) or an input of the wrong size.
std::string to_qasm(const qf::Circuit& circuit, const std::vector<double>& input,
                    const std::vector<std::string>& header);

}  // namespace coex::deploy
