// Conformance of `gpu`: the coex::testing kit's checks for its kind, on its default device.
#include "coex/testing/conformance.hpp"

COEX_HARDWARE_TARGET_CONFORMANCE(Gpu, {"gpu", {}});
