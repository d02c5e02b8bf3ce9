// Conformance of `qf_net`: the coex::testing kit's checks for its kind, on a two-class task.
#include "coex/testing/conformance.hpp"

COEX_SEARCH_SPACE_CONFORMANCE(QfNet, {"qf_net", {}, coex::Task{.classes = 2, .labels = {1, 5}}});
