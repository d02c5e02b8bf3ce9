// Conformance of `chain_cnn`: the coex::testing kit's checks for its kind, on its default space and
// a searched-stride space.
#include "coex/testing/conformance.hpp"

COEX_SEARCH_SPACE_CONFORMANCE(ChainCnn, {"chain_cnn", {}});
COEX_SEARCH_SPACE_CONFORMANCE(ChainCnnSearchedStride,
                              {"chain_cnn", {{"stride", "searched"}, {"depths", {2, 5}}}});
