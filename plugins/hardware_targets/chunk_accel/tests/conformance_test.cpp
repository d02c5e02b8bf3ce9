// Conformance of `chunk_accel`: the coex::testing kit's checks for its kind, on chain CNNs and
// hybrid_mbconv networks.
#include "coex/testing/conformance.hpp"

COEX_HARDWARE_TARGET_CONFORMANCE(
    ChunkAccel, {"chunk_accel", {{"pe_budgets", {84, 168}}, {"dataflows", {"rs", "os", "auto"}}}});
COEX_HARDWARE_TARGET_CONFORMANCE(
    ChunkAccelHybrid, {"chunk_accel", {{"pe_budgets", {168}}}, coex::Task{}, "hybrid_mbconv"});
