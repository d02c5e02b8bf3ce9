// Conformance of `quantum_circuit`: the coex::testing kit's checks for its kind, on qf_net networks
// of a two-class task.
#include "coex/testing/conformance.hpp"

COEX_HARDWARE_TARGET_CONFORMANCE(QuantumCircuit, {"quantum_circuit",
                                                  {{"device", "ibm_falcon"}},
                                                  coex::Task{.classes = 2, .labels = {1, 5}},
                                                  "qf_net"});
