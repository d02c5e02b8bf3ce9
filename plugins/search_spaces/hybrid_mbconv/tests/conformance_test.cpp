// Conformance of `hybrid_mbconv`: the coex::testing kit's checks for its kind, on the default
// supernet and a conv-only one.
#include "coex/testing/conformance.hpp"

COEX_SEARCH_SPACE_CONFORMANCE(HybridMbconv, {"hybrid_mbconv", {}});
COEX_SEARCH_SPACE_CONFORMANCE(HybridMbconvConvOnly,
                              {"hybrid_mbconv",
                               {{"operators", {"conv"}}, {"stage_cells", {1, 1, 1, 1, 1, 1, 1}}},
                               coex::Task{.input = {3, 32, 32}}});
