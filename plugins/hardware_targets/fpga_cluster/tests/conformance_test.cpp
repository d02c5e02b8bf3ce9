// Conformance of `fpga_cluster`: the coex::testing kit's checks for its kind, on a preset pool and
// a CIFAR pipeline with separate transfers.
#include "coex/testing/conformance.hpp"

COEX_HARDWARE_TARGET_CONFORMANCE(FpgaCluster,
                                 {"fpga_cluster", {{"pool", {"zcu102", "ultra96", "pynq_z1"}}}});
COEX_HARDWARE_TARGET_CONFORMANCE(FpgaClusterCifar,
                                 {"fpga_cluster",
                                  {{"pool", {"zc706", "zc706"}}, {"transfer", "separate"}},
                                  coex::Task{.input = {3, 32, 32}}});
