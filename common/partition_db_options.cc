#include "common/partition_db_options.h"

#include <utility>

#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"

namespace distsage {

rocksdb::Options PartitionDbOptions(std::shared_ptr<rocksdb::Cache> block_cache) {
  // Small blocks keep a point lookup cheap; the whole-key bloom filter skips
  // blocks of SSTs that do not hold the key.
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 8 << 10;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.whole_key_filtering = true;
  table.block_cache = std::move(block_cache);
  rocksdb::Options options;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Features of real graphs are dense floats and barely compress; LZ4 still
  // halves ID lists and bag-of-words rows at little decoding cost.
  options.compression = rocksdb::kLZ4Compression;
  bool has_lz4 = false;
  for (rocksdb::CompressionType type : rocksdb::GetSupportedCompressions()) {
    has_lz4 |= type == rocksdb::kLZ4Compression;
  }
  if (!has_lz4) options.compression = rocksdb::kNoCompression;
  return options;
}

}  // namespace distsage
