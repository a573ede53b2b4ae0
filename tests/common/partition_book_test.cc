#include "common/partition_book.h"

#include "gtest/gtest.h"

namespace distsage {
namespace {

TEST(PartitionBookTest, OwnerOfFollowsContiguousRanges) {
  PartitionBook book({3, 3, 7, 10});  // Part 1 is empty.
  EXPECT_EQ(book.num_parts(), 4);
  EXPECT_EQ(book.num_nodes(), 10);
  EXPECT_EQ(book.OwnerOf(0), 0);
  EXPECT_EQ(book.OwnerOf(2), 0);
  EXPECT_EQ(book.OwnerOf(3), 2);
  EXPECT_EQ(book.OwnerOf(9), 3);
  EXPECT_EQ(book.OwnerOf(10), -1);
  EXPECT_EQ(book.OwnerOf(-1), -1);
  EXPECT_EQ(book.RangeBegin(2), 3);
  EXPECT_TRUE(book.Owns(3, 7));
  EXPECT_FALSE(book.Owns(1, 3));
}

}  // namespace
}  // namespace distsage
