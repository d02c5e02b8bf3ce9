// Every in-tree plugin instantiates the conformance kit (one line per plugin and option set).
#include "coex/testing/conformance.hpp"

namespace {
coex::Task cifar_like() {
  coex::Task t;
  t.input = {3, 32, 32};
  return t;
}
coex::Task two_classes() {
  coex::Task t;
  t.labels = {1, 5};
  t.classes = 2;
  return t;
}
}  // namespace

COEX_SEARCH_SPACE_CONFORMANCE(ChainCnn, {"chain_cnn", {}});
COEX_SEARCH_SPACE_CONFORMANCE(ChainCnnSearchedStride,
                              {"chain_cnn", {{"stride", "searched"}, {"depths", {2, 5}}}});
COEX_SEARCH_SPACE_CONFORMANCE(Nb201, {"nb201", {}, cifar_like()});
COEX_SEARCH_SPACE_CONFORMANCE(DenseCells, {"dense_cells", {{"base_width", 4}}});
COEX_HARDWARE_TARGET_CONFORMANCE(FpgaCluster,
                                 {"fpga_cluster", {{"pool", {"zcu102", "ultra96", "pynq_z1"}}}});
COEX_HARDWARE_TARGET_CONFORMANCE(FpgaClusterCifar,
                                 {"fpga_cluster",
                                  {{"pool", {"zc706", "zc706"}}, {"transfer", "separate"}},
                                  cifar_like()});
COEX_HARDWARE_TARGET_CONFORMANCE(RaspberryPi, {"raspberry_pi", {}});
COEX_HARDWARE_TARGET_CONFORMANCE(Imc, {"imc", {}});
COEX_HARDWARE_TARGET_CONFORMANCE(Gpu, {"gpu", {}});
COEX_HARDWARE_TARGET_CONFORMANCE(
    ChunkAccel, {"chunk_accel", {{"pe_budgets", {84, 168}}, {"dataflows", {"rs", "os", "auto"}}}});
COEX_SEARCH_SPACE_CONFORMANCE(QfNet, {"qf_net", {}, two_classes()});
COEX_SEARCH_SPACE_CONFORMANCE(HybridMbconv, {"hybrid_mbconv", {}});
COEX_SEARCH_SPACE_CONFORMANCE(HybridMbconvConvOnly,
                              {"hybrid_mbconv",
                               {{"operators", {"conv"}}, {"stage_cells", {1, 1, 1, 1, 1, 1, 1}}},
                               cifar_like()});
COEX_HARDWARE_TARGET_CONFORMANCE(
    ChunkAccelHybrid, {"chunk_accel", {{"pe_budgets", {168}}}, coex::Task{}, "hybrid_mbconv"});
COEX_HARDWARE_TARGET_CONFORMANCE(
    QuantumCircuit, {"quantum_circuit", {{"device", "ibm_falcon"}}, two_classes(), "qf_net"});
COEX_CONTROLLER_CONFORMANCE(Random, {"random", {{"batch", 3}}});
COEX_CONTROLLER_CONFORMANCE(Evolution,
                            {"evolution", {{"population", 8}, {"sample_size", 3}, {"batch", 2}}});
COEX_CONTROLLER_CONFORMANCE(Nsga2, {"nsga2", {{"population", 6}}});
COEX_CONTROLLER_CONFORMANCE(Shgo, {"shgo", {}});
COEX_CONTROLLER_CONFORMANCE(ShgoHierarchical, {"shgo", {{"hierarchical", true}}});
COEX_CONTROLLER_CONFORMANCE(Rl, {"rl", {{"children", 2}}});
COEX_ESTIMATOR_CONFORMANCE(Trained,
                           {"trained",
                            {{"train_size", 500}, {"validation_size", 200}, {"threads", 1}}});
COEX_ESTIMATOR_CONFORMANCE(CountingFixture, {"counting_estimator", {}});
COEX_ESTIMATOR_CONFORMANCE(NnDegree, {"nn_degree",
                                      {{"predictor", COEX_TEST_SOURCE_DIR
                                        "/tests/fixtures/data/nn_degree_predictor.json"}}});
