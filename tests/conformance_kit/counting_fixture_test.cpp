// The conformance kit on the fixture estimator `counting_estimator` (tests/fixtures): the kit
// instantiated outside a plugin folder, from the fixtures' plugin directory.
#include "coex/testing/conformance.hpp"

COEX_ESTIMATOR_CONFORMANCE(CountingFixture, {"counting_estimator", {}});
