// Conformance of `nn_degree`: the coex::testing kit's checks for its kind, on a saved predictor.
#include "coex/testing/conformance.hpp"

COEX_ESTIMATOR_CONFORMANCE(NnDegree,
                           {"nn_degree",
                            {{"predictor", NN_DEGREE_TEST_DATA "/nn_degree_predictor.json"}}});
