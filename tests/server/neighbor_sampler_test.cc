// The sampling kernel's draws are part of the contract: a seed's sample
// depends only on (rng_seed, node, its list) and must not change from build
// to build (runs are reproducible across versions, and standalone and
// distributed training agree). These tests pin a checksum of the kernel's
// answers over every path it has (take all, Floyd, Fisher-Yates, with
// replacement), and check the answers' shape.
#include "server/neighbor_sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace distsage {
namespace {

// Lists of lengths 0 .. 199 (node i has an i-long list of distinct IDs) and
// seeds naming them in a scrambled order, some twice.
struct Lists {
  std::vector<std::vector<int64_t>> storage;
  std::vector<int64_t> seeds;
  std::vector<absl::Span<const int64_t>> lists;

  Lists() {
    constexpr int64_t kNodes = 200;
    for (int64_t node = 0; node < kNodes; ++node) {
      std::vector<int64_t> list(node);
      for (int64_t j = 0; j < node; ++j) list[j] = (node * 7919 + j * 104729) % 1000003;
      storage.push_back(list);
    }
    for (int64_t i = 0; i < 2 * kNodes; ++i) seeds.push_back((i * 37) % kNodes);
    for (const int64_t seed : seeds) lists.push_back(storage[seed]);
  }
};

// FNV-1a of the counts and sources of one answer.
uint64_t Checksum(const std::vector<int32_t>& counts, const std::vector<int64_t>& src) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  auto add = [&hash](uint64_t value) { hash = (hash ^ value) * 0x100000001b3ULL; };
  for (const int32_t count : counts) add(static_cast<uint64_t>(count));
  for (const int64_t node : src) add(static_cast<uint64_t>(node));
  return hash;
}

struct PinnedCase {
  int fanout;
  bool replace;
  uint64_t checksum;
};

TEST(NeighborSamplerTest, DrawsAreThoseOfEveryEarlierBuild) {
  const Lists lists;
  // Computed with the kernel before its draws were software-pipelined
  // (commit 45b8ad4); no build may change them.
  const PinnedCase cases[] = {
      {-1, false, 0x5e66864075df35ddULL}, {0, false, 0x2c1b93daafb34265ULL},
      {1, false, 0x3f822cb860d12883ULL},  {10, false, 0xf4d21723dac3c171ULL},
      {25, false, 0x84351d4e113ffe5bULL}, {64, false, 0xd22cd071ab09febdULL},
      {65, false, 0x3489eb73d8e5ca95ULL}, {150, false, 0x896bb11fe0d087edULL},
      {0, true, 0x2c1b93daafb34265ULL},   {1, true, 0x3f822cb860d12883ULL},
      {10, true, 0x808a128ba9b91f69ULL},  {64, true, 0x03454599fdb7f411ULL},
      {65, true, 0x026909c1c665bfc5ULL},  {150, true, 0xd683f07b9a8ddfe1ULL},
  };
  for (const PinnedCase& pinned : cases) {
    NeighborSampleRequest request;
    request.fanout = pinned.fanout;
    request.replace = pinned.replace;
    request.rng_seed = 0x5eed;
    std::vector<int32_t> counts(lists.seeds.size());
    std::vector<int64_t> src;
    SampleFromLists(lists.seeds, lists.lists, request, counts.data(), &src);
    EXPECT_EQ(Checksum(counts, src), pinned.checksum)
        << "fan-out " << pinned.fanout << (pinned.replace ? " with" : " without")
        << " replacement draws differently from earlier builds";
    EXPECT_EQ(static_cast<int64_t>(src.size()), CountSampledEdges(lists.lists, request));
    size_t at = 0;
    for (size_t i = 0; i < lists.seeds.size(); ++i) {
      const absl::Span<const int64_t> list = lists.lists[i];
      for (int32_t e = 0; e < counts[i]; ++e, ++at) {
        ASSERT_NE(std::find(list.begin(), list.end(), src[at]), list.end())
            << "fan-out " << pinned.fanout << ": seed " << lists.seeds[i] << " got " << src[at]
            << ", not in its list";
      }
    }
  }
}

}  // namespace
}  // namespace distsage
