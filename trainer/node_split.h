// How the nodes of a split (train, validation, test) are shared among the
// trainers of a distributed run, in the spirit of DGL's node_split with
// force_even: every rank gets a disjoint share of (nearly) equal size, taken
// first from the partition on its own machine ("home" partition) so that most
// of its sampling and feature pulls stay local. Pure function of its inputs:
// every rank computes every share the same way, with no communication.
#ifndef DISTSAGE_TRAINER_NODE_SPLIT_H_
#define DISTSAGE_TRAINER_NODE_SPLIT_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace distsage {

// The home partition of `rank` when the user does not name one: ranks are
// spread over the partitions in order, machine-major as the launch tool
// places them (rank r of M lives with partition r * num_parts / M).
int DefaultHomePartition(int rank, int world_size, int num_parts);

// How many of a split's `num_nodes` nodes rank `rank` of `world_size` gets
// from NodeShare: floor(num_nodes / world_size), one more for the first
// num_nodes % world_size ranks.
int64_t NodeShareSize(int64_t num_nodes, int world_size, int rank);

// The share of `rank` among home_parts.size() ranks (home_parts[r] is rank r's
// home partition, in [0, nodes_by_part.size())). nodes_by_part[p] lists the
// nodes of partition p. Rank r receives NodeShareSize(n, M, r) nodes: first
// from its home partition (in list order, shared among the ranks of that
// home in rank order), then from nodes no home claimed, in partition order.
// The shares are disjoint and cover every node.
std::vector<int64_t> NodeShare(const std::vector<std::vector<int64_t>>& nodes_by_part,
                               absl::Span<const int> home_parts, int rank);

// Pads `share` to `size` entries by repeating its own nodes from the front,
// so that every rank runs the same number of steps per epoch (the
// DistributedSampler way; the shares stay disjoint between ranks). A share
// that is empty stays empty.
void PadShare(int64_t size, std::vector<int64_t>* share);

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_NODE_SPLIT_H_
