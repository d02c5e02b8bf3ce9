// qf_net: QuantumFlow networks (QF-hNet, QF-pNet) decoded from the search space.
#include <gtest/gtest.h>

#include "coex/error.hpp"
#include "coex/testing/checks.hpp"

namespace coex {
namespace {

/// Fashion-MNIST's classes 3 and 6 (dress, shirt), relabelled 0 and 1.
const Task kPair{.classes = 2, .labels = {3, 6}};

TEST(QfNetSpace, DecodesHNetsAndPNetsWithAClassPerOutput) {
  using coex::testing::load;
  using coex::testing::PluginUnderTest;
  auto s = load<SearchSpace>(PluginUnderTest{
      "qf_net", {{"resolutions", {4}}, {"depths", {2}}, {"neurons", {4}}, {"norm", "all"}}, kPair});
  // Dimensions: kind only (one resolution, one depth, one neuron choice, norm fixed).
  ASSERT_EQ(s->space().size(), 2u);  // kind, L1_neurons
  const Network h = s->decode({0, 0});
  EXPECT_EQ(s->describe({0, 0}), "QF-hNet 4x4: 16-u4n-p2n");
  ASSERT_EQ(h.size(), 6u);  // input, flatten, qf_u, qf_n, qf_p, qf_n
  EXPECT_EQ(h.node(2).op, OpKind::kQfU);
  EXPECT_EQ(h.node(2).out_channels, 4);
  EXPECT_EQ(h.node(4).op, OpKind::kQfP);
  EXPECT_EQ(h.output().shape.c, 2);
  const Network p = s->decode({1, 0});
  EXPECT_EQ(p.node(2).op, OpKind::kQfP);
  EXPECT_EQ(s->describe({1, 0}), "QF-pNet 4x4: 16-p4n-p2n");
  // Round trip through the IR's JSON keeps the quantum ops.
  EXPECT_EQ(Network::from_json(h.to_json()).hash(), h.hash());
  // Bad options name the option.
  try {
    load<SearchSpace>(PluginUnderTest{"qf_net", {{"neurons", {3}}}, kPair});
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("'neurons'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace coex
