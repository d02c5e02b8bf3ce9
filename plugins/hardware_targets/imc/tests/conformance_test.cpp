// Conformance of `imc`: the coex::testing kit's checks for its kind, on its default technology.
#include "coex/testing/conformance.hpp"

COEX_HARDWARE_TARGET_CONFORMANCE(Imc, {"imc", {}});
