// Search space `chain_cnn`: the plain chain CNN of co-exploration NAS (Jiang et al., IEEE
// TCAD 2020): per layer a kernel, a filter count and (optionally searched) a stride; Conv -> ReLU
// -> BN; head Flatten -> Dense(classes). Input shape and classes come from the task.
#pragma once

#include <vector>

#include "coex/plugin.hpp"

namespace coex::plugins::chain_cnn {

/// How strides are set.
enum class StrideMode { kFixed, kPredictable, kSearched };

class ChainCnn final : public SearchSpace {
 public:
  ChainCnn(const Options& options, const PluginContext& context);
  static OptionSchema schema();

  const Space& space() const override { return space_; }
  Network decode(const Point& p) const override;
  std::string describe(const Point& p) const override;
  /// The canonical point of "depth D: [k,f,s]...": the layers' choices, coordinates of the
  /// layers beyond D at 0. A stride that the stride mode does not give is an error.
  Point parse(const std::string& description) const override;

 private:
  struct Layer {
    int kernel, filters, stride;
  };
  std::vector<Layer> layers(const Point& p) const;

  std::vector<std::int64_t> depths_, kernels_, filters_, strides_;
  StrideMode stride_mode_ = StrideMode::kPredictable;
  int stride_every_ = 4;
  bool bn_after_activation_ = true;
  Task task_;
  Space space_;
};

}  // namespace coex::plugins::chain_cnn
