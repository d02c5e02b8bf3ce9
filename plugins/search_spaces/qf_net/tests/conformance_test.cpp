// Conformance of `qf_net`: the coex::testing kit's checks for its kind, on a two-class task.
#include "coex/testing/conformance.hpp"

namespace {
coex::Task two_classes() {
  coex::Task t;
  t.labels = {1, 5};
  t.classes = 2;
  return t;
}
}  // namespace

COEX_SEARCH_SPACE_CONFORMANCE(QfNet, {"qf_net", {}, two_classes()});
