// Conformance of `shgo`: the coex::testing kit's checks for its kind, on flat and hierarchical
// searches.
#include "coex/testing/conformance.hpp"

COEX_CONTROLLER_CONFORMANCE(Shgo, {"shgo", {}});
COEX_CONTROLLER_CONFORMANCE(ShgoHierarchical, {"shgo", {{"hierarchical", true}}});
