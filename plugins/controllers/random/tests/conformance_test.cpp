// Conformance of `random`: the coex::testing kit's checks for its kind, on batches of 3.
#include "coex/testing/conformance.hpp"

COEX_CONTROLLER_CONFORMANCE(Random, {"random", {{"batch", 3}}});
