// Conformance of `quantum_circuit`: the coex::testing kit's checks for its kind, on qf_net networks
// of a two-class task.
#include "coex/testing/conformance.hpp"

namespace {
coex::Task two_classes() {
  coex::Task t;
  t.labels = {1, 5};
  t.classes = 2;
  return t;
}
}  // namespace

COEX_HARDWARE_TARGET_CONFORMANCE(
    QuantumCircuit, {"quantum_circuit", {{"device", "ibm_falcon"}}, two_classes(), "qf_net"});
