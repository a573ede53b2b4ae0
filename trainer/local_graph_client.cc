#include "trainer/local_graph_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/id_router.h"
#include "server/neighbor_sampler.h"

namespace distsage {

absl::StatusOr<std::unique_ptr<GraphClient>> OpenLocalGraphClient(
    const PartitionConfig& config, const LocalGraphClientOptions& options) {
  std::vector<std::shared_ptr<const PartitionStore>> stores;
  for (int part = 0; part < config.num_parts(); ++part) {
    DS_ASSIGN_OR_RETURN(std::unique_ptr<PartitionStore> store,
                        PartitionStore::Open(config, part, options.store));
    stores.push_back(std::move(store));
  }
  return std::unique_ptr<GraphClient>(new LocalGraphClient(config, std::move(stores)));
}

LocalGraphClient::LocalGraphClient(PartitionConfig config,
                                   std::vector<std::shared_ptr<const PartitionStore>> stores)
    : config_(std::move(config)), book_(config_.Book()), stores_(std::move(stores)) {}

template <typename T, typename Gather>
absl::Status LocalGraphClient::RoutedGather(absl::Span<const int64_t> ids, size_t width, T* out,
                                            Gather gather) {
  DS_ASSIGN_OR_RETURN(const IdRouter router, IdRouter::Route(book_, ids));
  if (router.single_part()) return gather(*stores_[router.parts()[0]], ids, out);
  std::vector<T> rows;
  for (const int part : router.parts()) {
    const absl::Span<const int64_t> part_ids = router.ids_of(part);
    rows.resize(part_ids.size() * width);
    DS_RETURN_IF_ERROR(gather(*stores_[part], part_ids, rows.data()));
    router.Scatter(part, rows.data(), width, out);
  }
  return absl::OkStatus();
}

absl::Status LocalGraphClient::SampleNeighbors(absl::Span<const int64_t> seeds,
                                               const SampleOptions& options,
                                               SampledNeighbors* out) {
  DS_ASSIGN_OR_RETURN(const IdRouter router, IdRouter::Route(book_, seeds));
  const NeighborSampleRequest request{options.fanout, options.replace, options.rng_seed};
  std::vector<std::vector<int32_t>> counts(config_.num_parts());
  std::vector<std::vector<int64_t>> src(config_.num_parts());
  for (const int part : router.parts()) {
    const absl::Span<const int64_t> part_seeds = router.ids_of(part);
    counts[part].resize(part_seeds.size());
    DS_RETURN_IF_ERROR(distsage::SampleNeighbors(*stores_[part], part_seeds, request,
                                                 counts[part].data(), &src[part]));
  }
  if (router.single_part()) {
    const int part = router.parts()[0];
    out->offsets.resize(seeds.size() + 1);
    out->offsets[0] = 0;
    for (size_t i = 0; i < seeds.size(); ++i) {
      out->offsets[i + 1] = out->offsets[i] + counts[part][i];
    }
    out->src = std::move(src[part]);
    return absl::OkStatus();
  }
  router.MergeSamples(counts, src, &out->offsets, &out->src);
  return absl::OkStatus();
}

absl::Status LocalGraphClient::PullFeatures(const std::string& name, absl::Span<const int64_t> ids,
                                            float* out) {
  const FeatureSpec* spec = config_.FindFeature(name);
  if (spec == nullptr) {
    // Let a store produce the NOT_FOUND message listing the known features.
    return stores_[0]->FindFeature(name).status();
  }
  return RoutedGather(ids, static_cast<size_t>(spec->dim), out,
                      [&](const PartitionStore& store, absl::Span<const int64_t> part_ids,
                          float* rows) { return store.GatherFeatures(name, part_ids, rows); });
}

absl::Status LocalGraphClient::PullLabels(absl::Span<const int64_t> ids, int64_t* out) {
  return RoutedGather(ids, 1, out,
                      [](const PartitionStore& store, absl::Span<const int64_t> part_ids,
                         int64_t* rows) { return store.GatherLabels(part_ids, rows); });
}

absl::Status LocalGraphClient::PullSplitMasks(absl::Span<const int64_t> ids, uint8_t* out) {
  return RoutedGather(ids, 1, out,
                      [](const PartitionStore& store, absl::Span<const int64_t> part_ids,
                         uint8_t* rows) { return store.GatherSplitMasks(part_ids, rows); });
}

absl::Status LocalGraphClient::InDegrees(absl::Span<const int64_t> ids, int64_t* out) {
  return RoutedGather(ids, 1, out,
                      [](const PartitionStore& store, absl::Span<const int64_t> part_ids,
                         int64_t* rows) { return store.GatherInDegrees(part_ids, rows); });
}

absl::StatusOr<std::vector<int64_t>> LocalGraphClient::SplitNodes(int part, Split split) {
  if (part < 0 || part >= config_.num_parts()) {
    return absl::InvalidArgumentError(absl::StrCat("partition ", part, " does not exist: graph '",
                                                   config_.graph_name, "' has ",
                                                   config_.num_parts(), " partitions"));
  }
  return stores_[part]->SplitNodes(static_cast<int>(split));
}

}  // namespace distsage
