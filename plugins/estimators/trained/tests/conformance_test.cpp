// Conformance of `trained`: the coex::testing kit's checks for its kind, on short trainings on
// Fashion-MNIST.
#include "coex/testing/conformance.hpp"

COEX_ESTIMATOR_CONFORMANCE(Trained,
                           {"trained",
                            {{"train_size", 500}, {"validation_size", 200}, {"threads", 1}}});
