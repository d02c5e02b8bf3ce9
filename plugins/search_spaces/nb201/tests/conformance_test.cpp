// Conformance of `nb201`: the coex::testing kit's checks for its kind, on its CIFAR skeleton.
#include "coex/testing/conformance.hpp"

namespace {
coex::Task cifar_like() {
  coex::Task t;
  t.input = {3, 32, 32};
  return t;
}
}  // namespace

COEX_SEARCH_SPACE_CONFORMANCE(Nb201, {"nb201", {}, cifar_like()});
