// Conformance of `fpga_cluster`: the coex::testing kit's checks for its kind, on a preset pool and
// a CIFAR pipeline with separate transfers.
#include "coex/testing/conformance.hpp"

namespace {
coex::Task cifar_like() {
  coex::Task t;
  t.input = {3, 32, 32};
  return t;
}
}  // namespace

COEX_HARDWARE_TARGET_CONFORMANCE(FpgaCluster,
                                 {"fpga_cluster", {{"pool", {"zcu102", "ultra96", "pynq_z1"}}}});
COEX_HARDWARE_TARGET_CONFORMANCE(FpgaClusterCifar,
                                 {"fpga_cluster",
                                  {{"pool", {"zc706", "zc706"}}, {"transfer", "separate"}},
                                  cifar_like()});
