// Conformance of `evolution`: the coex::testing kit's checks for its kind, on a small population.
#include "coex/testing/conformance.hpp"

COEX_CONTROLLER_CONFORMANCE(Evolution,
                            {"evolution", {{"population", 8}, {"sample_size", 3}, {"batch", 2}}});
