// Conformance of `nb201`: the coex::testing kit's checks for its kind, on its CIFAR skeleton.
#include "coex/testing/conformance.hpp"

COEX_SEARCH_SPACE_CONFORMANCE(Nb201, {"nb201", {}, coex::Task{.input = {3, 32, 32}}});
