// The table partition_graph prints at the end: per part nodes, in-edges,
// training nodes and their imbalance against the mean, and the edge cut.
#ifndef DISTSAGE_PARTITIONER_PARTITION_SUMMARY_H_
#define DISTSAGE_PARTITIONER_PARTITION_SUMMARY_H_

#include <string>

#include "common/partition_config.h"

namespace distsage {

std::string FormatPartitionSummary(const PartitionConfig& config);

}  // namespace distsage

#endif  // DISTSAGE_PARTITIONER_PARTITION_SUMMARY_H_
