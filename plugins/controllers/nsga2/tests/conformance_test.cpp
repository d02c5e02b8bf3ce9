// Conformance of `nsga2`: the coex::testing kit's checks for its kind, on a small population.
#include "coex/testing/conformance.hpp"

COEX_CONTROLLER_CONFORMANCE(Nsga2, {"nsga2", {{"population", 6}}});
