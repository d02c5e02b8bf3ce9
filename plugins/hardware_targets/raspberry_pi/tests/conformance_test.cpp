// Conformance of `raspberry_pi`: the coex::testing kit's checks for its kind, on its default
// preset.
#include "coex/testing/conformance.hpp"

COEX_HARDWARE_TARGET_CONFORMANCE(RaspberryPi, {"raspberry_pi", {}});
