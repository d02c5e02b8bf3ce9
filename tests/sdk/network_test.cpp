#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "coex/error.hpp"
#include "coex/network.hpp"

using namespace coex;

TEST(Network, ConvShapesParamsMacs) {
  Network n;
  const int x = n.add_input({64, 32, 32});
  const int c = n.add_conv2d_same(x, 48, 5, 1);
  // Reference spot check: 5x5 conv 64->48 has 5*5*64*48 + 48 = 76,848 parameters.
  EXPECT_EQ(n.params(n.node(c)), 76848);
  EXPECT_EQ(n.node(c).shape, (Shape{48, 32, 32}));
  EXPECT_EQ(n.macs(n.node(c)), 32LL * 32 * 48 * 64 * 25);
  const int s = n.add_conv2d_same(c, 8, 3, 2);
  EXPECT_EQ(n.node(s).shape, (Shape{8, 16, 16})) << "'same' with stride 2 gives ceil(32/2)";
  const int b = n.add_batch_norm(s);
  EXPECT_EQ(n.params(n.node(b)), 32);
  EXPECT_EQ(n.trainable_params(n.node(b)), 16);
  const int f = n.add_flatten(b);
  EXPECT_EQ(n.node(f).shape, (Shape{8 * 16 * 16, 1, 1}));
  const int l = n.add_linear(f, 10);
  EXPECT_EQ(n.params(n.node(l)), 2048 * 10 + 10);
  EXPECT_EQ(n.activation_bytes(n.node(c), 2), 48 * 32 * 32 * 2);
}

TEST(Network, OddSizesAndDepthwise) {
  Network n;
  const int x = n.add_input({16, 7, 7});
  const int c = n.add_conv2d_same(x, 16, 3, 2);
  EXPECT_EQ(n.node(c).shape, (Shape{16, 4, 4})) << "ceil(7/2) = 4";
  const int d = n.add_conv2d(c, 16, 3, 1, 1, 16, false);
  EXPECT_EQ(n.params(n.node(d)), 3 * 3 * 16);
  EXPECT_EQ(n.macs(n.node(d)), 4 * 4 * 16 * 9);
  const int p = n.add_max_pool(d, 2, 2);
  EXPECT_EQ(n.node(p).shape, (Shape{16, 2, 2}));
  EXPECT_EQ(n.node(n.add_global_avg_pool(p)).shape, (Shape{16, 1, 1}));
}

TEST(Network, InvalidLayersThrowInvalidCandidate) {
  Network n;
  const int x = n.add_input({3, 4, 4});
  EXPECT_THROW(n.add_conv2d(x, 8, 7, 1, 0), InvalidCandidate);
  EXPECT_THROW(n.add_linear(x, 10), InvalidCandidate) << "linear needs a flat input";
  EXPECT_THROW(n.add_conv2d_same(x, 8, 4, 1), InvalidCandidate) << "even kernel";
  EXPECT_THROW(n.add_conv2d(x, 8, 3, 1, 1, 2), InvalidCandidate)
      << "3 channels not divisible by 2 groups";
  const int a = n.add_conv2d_same(x, 8, 3, 1);
  const int b = n.add_conv2d_same(x, 8, 3, 2);
  EXPECT_THROW(n.add_add({a, b}), InvalidCandidate);
  EXPECT_THROW(n.add_concat({a, b}), InvalidCandidate);
}

TEST(Network, HashIsStructural) {
  auto build = [](bool swap_add, bool swap_concat, int k) {
    Network n;
    const int x = n.add_input({3, 8, 8});
    const int a = n.add_conv2d_same(x, 4, k, 1);
    const int b = n.add_conv2d_same(x, 4, 1, 1);
    const int s = swap_add ? n.add_add({b, a}) : n.add_add({a, b});
    const int c = swap_concat ? n.add_concat({a, s}) : n.add_concat({s, a});
    n.add_global_avg_pool(c);
    return n;
  };
  EXPECT_EQ(build(false, false, 3).hash(), build(true, false, 3).hash()) << "add is commutative";
  EXPECT_NE(build(false, false, 3).hash(), build(false, true, 3).hash()) << "concat is ordered";
  EXPECT_NE(build(false, false, 3).hash(), build(false, false, 5).hash());
  // Node numbering does not matter: build the two branches in the other order.
  Network n;
  const int x = n.add_input({3, 8, 8});
  const int b = n.add_conv2d_same(x, 4, 1, 1);
  const int a = n.add_conv2d_same(x, 4, 3, 1);
  const int s = n.add_add({a, b});
  n.add_global_avg_pool(n.add_concat({s, a}));
  EXPECT_EQ(n.hash(), build(false, false, 3).hash());
  EXPECT_EQ(n.hash_hex().size(), 16u);
}

TEST(Network, JsonRoundTrip) {  // every op kind that has attributes, channel_select included
  Network n;
  const int x = n.add_input({1, 28, 28});
  int y = n.add_conv2d_same(x, 8, 3, 2);
  y = n.add_activation(y, Activation::kRelu6);
  y = n.add_batch_norm(y);
  y = n.add_concat({y, n.add_channel_select(y, {7, 0, 3})});
  y = n.add_avg_pool(y, 2, 2);
  y = n.add_flatten(y);
  n.add_linear(y, 10, false);
  const Network m = Network::from_json(nlohmann::json::parse(n.to_json_text()));
  EXPECT_EQ(m.node(1).stride, 2);
  EXPECT_EQ(m.node(2).activation, Activation::kRelu6);
  EXPECT_EQ(m.node(6).kernel, 2);
  EXPECT_FALSE(m.node(8).bias);
  EXPECT_EQ(m.node(4).channels, (std::vector<std::int64_t>{7, 0, 3}));
  EXPECT_EQ(m.hash(), n.hash());
  EXPECT_EQ(m.params(), n.params());
  EXPECT_EQ(m.macs(), n.macs());
  EXPECT_EQ(n.summary(), m.summary());
}

TEST(Network, ShiftAndAdderConvolutions) {
  // Shapes, parameters and MACs as conv2d without bias; distinct hashes; JSON round trip; the
  // summary counts them.
  auto build = [](OpKind op) {
    Network n;
    const int x = n.add_input({8, 9, 9});
    const int c = op == OpKind::kShiftConv2d   ? n.add_shift_conv2d(x, 16, 3, 2, 1)
                  : op == OpKind::kAdderConv2d ? n.add_adder_conv2d(x, 16, 3, 2, 1)
                                               : n.add_conv2d(x, 16, 3, 2, 1, 1, false);
    n.add_adder_conv2d(c, 16, 5, 1, 2, 16);  // depthwise adder
    return n;
  };
  const Network conv = build(OpKind::kConv2d), shift = build(OpKind::kShiftConv2d),
                adder = build(OpKind::kAdderConv2d);
  EXPECT_EQ(shift.node(1).op, OpKind::kShiftConv2d);
  EXPECT_EQ(shift.node(1).shape, (Shape{16, 5, 5}));
  EXPECT_EQ(shift.params(shift.node(1)), 3 * 3 * 8 * 16);
  EXPECT_EQ(adder.macs(adder.node(1)), 5 * 5 * 16 * 8 * 9);
  EXPECT_EQ(adder.params(adder.node(2)), 5 * 5 * 16);
  EXPECT_EQ(adder.macs(adder.node(2)), 5 * 5 * 16 * 25);
  EXPECT_EQ(shift.params(), conv.params());
  EXPECT_EQ(adder.macs(), conv.macs());
  EXPECT_NE(conv.hash(), shift.hash());
  EXPECT_NE(conv.hash(), adder.hash());
  EXPECT_NE(shift.hash(), adder.hash());
  EXPECT_TRUE(is_conv(OpKind::kShiftConv2d) && is_conv(OpKind::kAdderConv2d) &&
              is_conv(OpKind::kConv2d) && !is_conv(OpKind::kLinear));
  EXPECT_STREQ(op_name(OpKind::kShiftConv2d), "shift_conv2d");
  EXPECT_STREQ(op_name(OpKind::kAdderConv2d), "adder_conv2d");
  EXPECT_EQ(shift.summary().rfind("0 conv, 1 shift, 1 adder, 0 linear", 0), 0u) << shift.summary();
  for (const Network* n : {&shift, &adder}) {
    const Network m = Network::from_json(nlohmann::json::parse(n->to_json_text()));
    EXPECT_EQ(m.hash(), n->hash());
    EXPECT_EQ(m.node(2).groups, 16);
    EXPECT_EQ(m.node(2).padding, 2);
    EXPECT_EQ(m.node(1).op, n->node(1).op);
  }
  Network bad;
  const int x = bad.add_input({3, 4, 4});
  EXPECT_THROW(bad.add_adder_conv2d(x, 8, 3, 1, 1, 2), InvalidCandidate);
  try {
    bad.add_shift_conv2d(x, 8, 7, 1, 0);
    FAIL() << "kernel larger than the input";
  } catch (const InvalidCandidate& e) {
    EXPECT_NE(std::string(e.what()).find("shift_conv2d: kernel 7"), std::string::npos) << e.what();
  }
}

TEST(Network, FromJsonOfSomethingElseIsACoexError) {
  // Found by fuzz_ir_json: a node without "inputs" escaped as a nlohmann exception.
  for (const char* text : {R"({"nodes":[{"id":0,"op":"input","shape":[1,8,8]}]})",
                           R"({"nodes":[{"op":1}]})", R"({"nodes":7})", R"([])"}) {
    try {
      coex::Network::from_json(nlohmann::json::parse(text));
      ADD_FAILURE() << "accepted " << text;
    } catch (const coex::Error& e) {
      EXPECT_NE(std::string(e.what()).find("not a coex network"), std::string::npos) << e.what();
    }
  }
}

TEST(Network, FromJsonTakesIntegersOnlyWithinTheirRange) {
  // Found by fuzz_ir_json: a float beyond int64 as out_channels was converted (undefined
  // behaviour); a float or a value beyond int for a kernel was silently truncated.
  const std::string head =
      R"({"nodes":[{"id":0,"op":"input","inputs":[],"shape":[1,8,8]},{"id":1,"op":"flatten","inputs":[0]},)";
  for (const char* last :
       {R"({"id":2,"op":"linear","inputs":[1],"out_channels":1.6e111,"bias":true})",
        R"({"id":2,"op":"linear","inputs":[1],"out_channels":4.5,"bias":true})",
        R"({"id":2,"op":"linear","inputs":[1],"out_channels":18446744073709551615,"bias":true})",
        R"({"id":2,"op":"linear","inputs":[1],"out_channels":4,"bias":1})",
        R"({"id":2,"op":"linear","inputs":[1.0],"out_channels":4,"bias":true})",
        R"({"id":2,"op":"linear","inputs":[4294967296],"out_channels":4,"bias":true})"}) {
    const std::string text = head + std::string(last) + "]}";
    try {
      coex::Network::from_json(nlohmann::json::parse(text));
      ADD_FAILURE() << "accepted " << last;
    } catch (const coex::Error& e) {
      EXPECT_NE(std::string(e.what()).find("network JSON"), std::string::npos) << e.what();
    }
  }
  const auto ok = coex::Network::from_json(nlohmann::json::parse(
      head + R"({"id":2,"op":"linear","inputs":[1],"out_channels":4,"bias":true}]})"));
  EXPECT_EQ(ok.size(), 3u);
  EXPECT_THROW(coex::Network::from_json(nlohmann::json::parse(
                   R"({"nodes":[{"id":0,"op":"input","inputs":[],"shape":[1,8]}]})")),
               coex::Error);
}
