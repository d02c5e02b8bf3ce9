// Conformance of `rl`: the coex::testing kit's checks for its kind, on two children per step.
#include "coex/testing/conformance.hpp"

COEX_CONTROLLER_CONFORMANCE(Rl, {"rl", {{"children", 2}}});
