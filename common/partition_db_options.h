// The RocksDB options a partition database is written with (partition_graph)
// and read with (graph_server --cache none). They live in one place because
// the reader must use the writer's table settings: a reader without the
// writer's filter policy ignores the bloom filters stored in the files.
#ifndef DISTSAGE_COMMON_PARTITION_DB_OPTIONS_H_
#define DISTSAGE_COMMON_PARTITION_DB_OPTIONS_H_

#include <cstdint>
#include <memory>

#include "rocksdb/options.h"

namespace rocksdb {
class Cache;
}

namespace distsage {

// Block-based tables with 8 KiB blocks and a whole-key 10-bit bloom filter
// (the server looks nodes up one key at a time), LZ4 where this RocksDB has
// it. `block_cache` may be null (RocksDB's default cache).
rocksdb::Options PartitionDbOptions(std::shared_ptr<rocksdb::Cache> block_cache = nullptr);

}  // namespace distsage

#endif  // DISTSAGE_COMMON_PARTITION_DB_OPTIONS_H_
