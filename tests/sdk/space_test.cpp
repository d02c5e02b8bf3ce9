#include <gtest/gtest.h>

#include <random>
#include <set>

#include "coex/error.hpp"
#include "coex/space.hpp"

using namespace coex;

namespace {
Space mixed() {
  return Space({Dimension::categorical("k", {"1", "3", "5"}), Dimension::integer("n", 2, 5),
                Dimension::real("lr", 1e-4, 1e-1, true)});
}
}  // namespace

TEST(Space, CardinalityAndEnumeration) {
  Space s({Dimension::categorical("a", {"x", "y"}), Dimension::integer("b", 0, 2)});
  EXPECT_EQ(s.cardinality(), 6u);
  std::set<std::string> keys;
  for (std::uint64_t i = 0; i < s.cardinality(); ++i) keys.insert(Space::key(s.at(i)));
  EXPECT_EQ(keys.size(), 6u);
  EXPECT_EQ(s.at(0), (Point{0, 0}));
  EXPECT_EQ(s.at(5), (Point{1, 2}));
  EXPECT_EQ(mixed().cardinality(), 0u) << "a real dimension makes the space infinite";
}

TEST(Space, SamplesAreLegalAndSeeded) {
  const Space s = mixed();
  std::mt19937_64 a(7), b(7);
  for (int i = 0; i < 200; ++i) {
    const Point p = s.sample(a);
    EXPECT_NO_THROW(s.check(p));
    EXPECT_EQ(p, s.sample(b));
  }
}

TEST(Space, CheckRejectsOutOfRangeAndFractional) {
  const Space s = mixed();
  EXPECT_THROW(s.check({3, 2, 0.01}), Error);
  EXPECT_THROW(s.check({0, 2.5, 0.01}), Error);
  EXPECT_THROW(s.check({0, 2}), Error);
  EXPECT_THROW(s.check({0, 2, 1.0}), Error);
}

TEST(Space, UnitRoundTripAndCellRule) {
  const Space s = mixed();
  const Point p{2, 4, 0.01};
  const Point q = s.from_unit(s.to_unit(p));
  EXPECT_EQ(q[0], 2);
  EXPECT_EQ(q[1], 4);
  EXPECT_NEAR(q[2], 0.01, 1e-12);
  // Cells: [0, 1/3) -> 0, [1/3, 2/3) -> 1, [2/3, 1] -> 2 for the 3-choice dimension.
  EXPECT_EQ(s.from_unit({0.0, 0, 0})[0], 0);
  EXPECT_EQ(s.from_unit({0.34, 0, 0})[0], 1);
  EXPECT_EQ(s.from_unit({1.0, 0, 0})[0], 2);
  EXPECT_EQ(s.from_unit({-3.0, 7, 0})[1], 5) << "clamped";
  EXPECT_NEAR(s.from_unit({0, 0, 0.5})[2], 1e-4 * std::sqrt(1000.0), 1e-12) << "log scale midpoint";
}

TEST(Space, ConcatAndDuplicateNames) {
  const Space j =
      Space::concat(Space({Dimension::integer("a", 0, 1)}), Space({Dimension::integer("b", 0, 2)}));
  EXPECT_EQ(j.size(), 2u);
  EXPECT_EQ(j.index_of("b"), 1u);
  EXPECT_THROW(Space::concat(j, Space({Dimension::integer("a", 0, 1)})), Error);
}

TEST(Space, OtherValueIsUniformOverTheOthers) {
  const Dimension d = Dimension::categorical("k", {"a", "b", "c", "d"});
  std::mt19937_64 rng(3);
  std::vector<int> hits(4, 0);
  for (int i = 0; i < 3000; ++i) ++hits[static_cast<std::size_t>(d.other_value(2, rng))];
  EXPECT_EQ(hits[2], 0);
  for (int k : {0, 1, 3}) EXPECT_NEAR(hits[static_cast<std::size_t>(k)], 1000, 120);
  EXPECT_EQ(Dimension::categorical("one", {"x"}).other_value(0, rng), 0);
  EXPECT_EQ(Dimension::real("r", 0, 1).other_value(0.25, rng), 0.25);
  const Dimension i = Dimension::integer("n", 5, 6);
  EXPECT_EQ(i.other_value(5, rng), 6);
}

TEST(Space, ParseInvertsDescribe) {
  const Space s = mixed();
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    const Point p = s.sample(rng);
    const Point q = s.parse(s.describe(p));
    EXPECT_EQ(q[0], p[0]);
    EXPECT_EQ(q[1], p[1]);
    EXPECT_NEAR(q[2], p[2], 1e-5 * p[2]) << "reals come back from 6-digit labels";
    EXPECT_EQ(s.describe(q), s.describe(p));
  }
  // A label with the separator in it still parses: labels run to the next ", name=".
  const Space t({Dimension::categorical("a", {"x, y", "z"}), Dimension::integer("b", 0, 3)});
  EXPECT_EQ(t.parse("a=x, y, b=2"), (Point{0, 2}));
  auto error = [&](const std::string& text) {
    try {
      s.parse(text);
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error("k=3, n=9, lr=0.01"),
            "cannot read 'k=3, n=9, lr=0.01' as a point: n = 9 is outside its range [2, 5]. "
            "Expected: k=..., n=..., lr=...");
  EXPECT_NE(error("k=4, n=2, lr=0.01").find("k = '4' is not one of its choices"),
            std::string::npos);
  EXPECT_NE(error("k=3, lr=0.01").find("no 'n=' after k"), std::string::npos);
  EXPECT_NE(error("k=3, n=x, lr=0.01").find("n = 'x' is not a number"), std::string::npos);
  EXPECT_NE(error("n=3").find("'k=' expected at character 1"), std::string::npos);
  EXPECT_NE(error("k=3, n=2.5, lr=0.01").find("outside its range"), std::string::npos);
}
