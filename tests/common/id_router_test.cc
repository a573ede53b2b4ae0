#include "common/id_router.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace distsage {
namespace {

std::vector<int64_t> Copy(absl::Span<const int64_t> span) {
  return std::vector<int64_t>(span.begin(), span.end());
}

TEST(IdRouterTest, SplitsByOwnerKeepingRequestOrderAndScattersBack) {
  const PartitionBook book({3, 3, 7, 10});  // Part 1 is empty.
  const std::vector<int64_t> ids = {9, 0, 4, 2, 9, 6};
  const absl::StatusOr<IdRouter> router = IdRouter::Route(book, ids);
  ASSERT_TRUE(router.ok()) << router.status();
  EXPECT_EQ(router->parts(), (std::vector<int>{0, 2, 3}));
  EXPECT_FALSE(router->single_part());
  EXPECT_EQ(Copy(router->ids_of(0)), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(Copy(router->positions_of(0)), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(Copy(router->ids_of(2)), (std::vector<int64_t>{4, 6}));
  EXPECT_EQ(Copy(router->positions_of(2)), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(Copy(router->ids_of(3)), (std::vector<int64_t>{9, 9}));
  EXPECT_EQ(Copy(router->positions_of(3)), (std::vector<int64_t>{0, 4}));
  EXPECT_TRUE(router->ids_of(1).empty());
  // Each part answers its IDs times 10; scattered back, the rows follow the request.
  std::vector<int64_t> out(ids.size(), -1);
  for (const int part : router->parts()) {
    std::vector<int64_t> answer;
    for (const int64_t id : router->ids_of(part)) answer.push_back(id * 10);
    router->Scatter(part, answer.data(), 1, out.data());
  }
  EXPECT_EQ(out, (std::vector<int64_t>{90, 0, 40, 20, 90, 60}));
}

// A one-partition graph (standalone training) only range-checks its IDs;
// the router then answers as for any request that lands in one partition.
TEST(IdRouterTest, OnePartitionGraphRoutesEverythingToItInOrder) {
  const PartitionBook book({5});
  const std::vector<int64_t> ids = {4, 0, 4, 2};
  const absl::StatusOr<IdRouter> router = IdRouter::Route(book, ids);
  ASSERT_TRUE(router.ok()) << router.status();
  EXPECT_EQ(router->parts(), (std::vector<int>{0}));
  EXPECT_TRUE(router->single_part());
  EXPECT_EQ(Copy(router->ids_of(0)), ids);
  EXPECT_EQ(Copy(router->positions_of(0)), (std::vector<int64_t>{0, 1, 2, 3}));
  // A multi-partition request that lands in one partition looks the same.
  const PartitionBook two({5, 10});
  const std::vector<int64_t> high = {9, 5};
  const absl::StatusOr<IdRouter> one_of_two = IdRouter::Route(two, high);
  ASSERT_TRUE(one_of_two.ok()) << one_of_two.status();
  EXPECT_EQ(one_of_two->parts(), (std::vector<int>{1}));
  EXPECT_TRUE(one_of_two->single_part());
  EXPECT_EQ(Copy(one_of_two->ids_of(1)), high);
  // Nothing to route.
  const absl::StatusOr<IdRouter> empty = IdRouter::Route(book, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->parts().empty());
}

TEST(IdRouterTest, NamesTheFirstIdOutsideTheGraphAndItsPosition) {
  for (const PartitionBook& book : {PartitionBook({5}), PartitionBook({2, 5})}) {
    for (const auto& [ids, named] :
         {std::pair{std::vector<int64_t>{1, 5, -1}, std::string("node 5 (position 1")},
          std::pair{std::vector<int64_t>{0, -3}, std::string("node -3 (position 1")}}) {
      const absl::StatusOr<IdRouter> router = IdRouter::Route(book, ids);
      ASSERT_FALSE(router.ok());
      EXPECT_EQ(router.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(router.status().message().find(named), std::string::npos) << router.status();
      EXPECT_NE(router.status().message().find("[0, 5)"), std::string::npos) << router.status();
    }
  }
}

}  // namespace
}  // namespace distsage
