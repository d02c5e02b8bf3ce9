// Conformance of `dense_cells`: the coex::testing kit's checks for its kind, on narrow cells.
#include "coex/testing/conformance.hpp"

COEX_SEARCH_SPACE_CONFORMANCE(DenseCells, {"dense_cells", {{"base_width", 4}}});
