// Same-machine shared memory: graph_server processes publish their partition
// in a segment under a real tmpfs folder (/dev/shm), and this process maps it
// read-only the way a trainer does. Checks that the mapped answers equal the
// servers' gRPC answers and the source dataset, that bad, truncated and
// foreign files are refused by name, and the lifecycle: clean exit removes the
// segment, kill -9 leaves it, the restarted server removes it and publishes a
// new one while an old mapping keeps reading. Also who may map it
// (--shm_file_mode) and its pages: 2 MiB ones, for the server and for a
// reader, where the kernel can make them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/match.h"
#include "client/graph_client.h"
#include "client/shared_partition.h"
#include "grpcpp/grpcpp.h"
#include "proto/distsage/graph.grpc.pb.h"
#include "server/memory_partition_store.h"
#include "server/shared_segment.h"
#include "tests/common/test_util.h"
#include "tests/server/dataset_reference.h"
#include "tests/server/server_cluster.h"

namespace distsage {
namespace {

using ::distsage::testing::DatasetReference;
using ::distsage::testing::PartitionDataset;
using ::distsage::testing::ServerCluster;
using ::distsage::testing::TempDir;

// A fresh folder in /dev/shm (the tmpfs the servers publish to by default),
// removed with everything in it on destruction.
class ShmDir {
 public:
  ShmDir() {
    char name[] = "/dev/shm/distsage-test-XXXXXX";
    const char* made = mkdtemp(name);
    EXPECT_NE(made, nullptr) << "cannot create a folder in /dev/shm";
    if (made != nullptr) path_ = made;
  }
  ~ShmDir() {
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }
  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

GraphInfo InfoOf(const std::string& address) {
  auto stub =
      GraphService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  GraphInfo info;
  const grpc::Status status = stub->GetGraphInfo(&context, GetGraphInfoRequest(), &info);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return info;
}

std::shared_ptr<const PartitionStore> MapOrDie(const std::string& path,
                                               const PartitionConfig& config, int part) {
  absl::StatusOr<std::unique_ptr<MemoryPartitionStore>> store =
      MemoryPartitionStore::MapSharedSegment(path, config, part);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::shared_ptr<const PartitionStore>(*std::move(store)) : nullptr;
}

std::vector<std::string> SegmentFilesIn(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, "distsage-") || absl::StartsWith(name, ".distsage-")) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Everything a client can ask, for every node of the graph (shuffled, some
// twice), as one comparable record.
struct Answers {
  std::vector<float> features;
  std::vector<int64_t> labels;
  std::vector<uint8_t> masks;
  std::vector<int64_t> degrees;
  SampledNeighbors sampled;                       // Fan-out 5, seeded.
  SampledNeighbors all;                           // Every in-edge.
  std::vector<std::vector<int64_t>> split_nodes;  // By partition, then split.

  bool operator==(const Answers& other) const {
    return features == other.features && labels == other.labels && masks == other.masks &&
           degrees == other.degrees && sampled.offsets == other.sampled.offsets &&
           sampled.src == other.sampled.src && all.offsets == other.all.offsets &&
           all.src == other.all.src && split_nodes == other.split_nodes;
  }
};

Answers AskEverything(GraphClient* client, const std::vector<int64_t>& ids) {
  const PartitionConfig& config = client->config();
  const FeatureSpec& feature = config.node_features[0];
  Answers answers;
  answers.features.resize(ids.size() * feature.dim);
  answers.labels.resize(ids.size());
  answers.masks.resize(ids.size());
  answers.degrees.resize(ids.size());
  EXPECT_TRUE(client->PullFeatures(feature.name, ids, answers.features.data()).ok());
  EXPECT_TRUE(client->PullLabels(ids, answers.labels.data()).ok());
  EXPECT_TRUE(client->PullSplitMasks(ids, answers.masks.data()).ok());
  EXPECT_TRUE(client->InDegrees(ids, answers.degrees.data()).ok());
  EXPECT_TRUE(client->SampleNeighbors(ids, {5, false, 42}, &answers.sampled).ok());
  EXPECT_TRUE(client->SampleNeighbors(ids, {-1, false, 7}, &answers.all).ok());
  for (int part = 0; part < config.num_parts(); ++part) {
    for (int split = 0; split < 3; ++split) {
      absl::StatusOr<std::vector<int64_t>> nodes =
          client->SplitNodes(part, static_cast<Split>(split));
      EXPECT_TRUE(nodes.ok()) << nodes.status();
      answers.split_nodes.push_back(nodes.ok() ? *nodes : std::vector<int64_t>());
    }
  }
  return answers;
}

class SharedMemoryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new TempDir();
    config_path_ = new std::string(PartitionDataset("cora", 2, data_->Join("cora2")));
    absl::StatusOr<PartitionConfig> config = PartitionConfig::Load(*config_path_);
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = new PartitionConfig(*config);
    ref_ = new DatasetReference(testing::LoadDatasetReference(
        testing::DatasetDir("cora"), config_->split_name, config_->OrigNodeIdsPath()));
  }
  static void TearDownTestSuite() {
    delete ref_;
    delete config_;
    delete config_path_;
    delete data_;
  }

  void StartServers(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--shm_dir=" + shm_.path()};
    args.insert(args.end(), extra.begin(), extra.end());
    cluster_ = std::make_unique<ServerCluster>(*config_path_, 2, work_.path(), args);
  }

  std::unique_ptr<GraphClient> Connect(GraphClientOptions options = {}) {
    absl::StatusOr<std::unique_ptr<GraphClient>> client =
        GraphClient::Connect(*config_, cluster_->addresses(), options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  // An ip_config.txt naming the running servers, as a trainer is given.
  std::string WriteIpConfigOfCluster() {
    return testing::WriteIpConfig(work_.Join("servers.txt"), cluster_->addresses());
  }

  std::vector<int64_t> ShuffledIds() const {
    std::vector<int64_t> ids(ref_->num_nodes);
    for (int64_t v = 0; v < ref_->num_nodes; ++v) ids[v] = v;
    ids.insert(ids.end(), ids.begin(), ids.begin() + 100);
    std::shuffle(ids.begin(), ids.end(), std::mt19937(5));
    return ids;
  }

  static TempDir* data_;
  static std::string* config_path_;
  static PartitionConfig* config_;
  static DatasetReference* ref_;
  ShmDir shm_;
  TempDir work_;
  std::unique_ptr<ServerCluster> cluster_;
};

TempDir* SharedMemoryTest::data_ = nullptr;
std::string* SharedMemoryTest::config_path_ = nullptr;
PartitionConfig* SharedMemoryTest::config_ = nullptr;
DatasetReference* SharedMemoryTest::ref_ = nullptr;

TEST_F(SharedMemoryTest, MappedSegmentsAnswerLikeTheServersAndTheDataset) {
  StartServers();
  GraphClientOptions mapped_options;
  for (int part = 0; part < 2; ++part) {
    const GraphInfo info = InfoOf(cluster_->server(part).address());
    ASSERT_TRUE(absl::StartsWith(info.shm_path(), shm_.path() + "/distsage-cora-part"))
        << info.shm_path();
    // The server's user only, and the size it reports.
    struct stat file;
    ASSERT_EQ(stat(info.shm_path().c_str(), &file), 0);
    EXPECT_EQ(file.st_mode & 0777, 0600);
    EXPECT_EQ(file.st_size, info.shm_bytes());
    EXPECT_NE(cluster_->server(part).process().ReadLog().find("shm " + info.shm_path()),
              std::string::npos);
    mapped_options.local_parts[part] = MapOrDie(info.shm_path(), *config_, part);
    ASSERT_NE(mapped_options.local_parts[part], nullptr);
  }

  std::unique_ptr<GraphClient> over_grpc = Connect();
  std::unique_ptr<GraphClient> mapped = Connect(mapped_options);
  ASSERT_NE(over_grpc, nullptr);
  ASSERT_NE(mapped, nullptr);
  for (const ServerConnectionInfo& server : mapped->ServerConnections()) {
    EXPECT_EQ(server.transport, "shm") << server.address;
  }
  const std::vector<int64_t> ids = ShuffledIds();
  const Answers from_servers = AskEverything(over_grpc.get(), ids);
  const Answers from_segments = AskEverything(mapped.get(), ids);
  EXPECT_TRUE(from_segments == from_servers);
  EXPECT_EQ(mapped->traffic().bytes_received, 0);
  // Rows located in the segments (trainer --loader_sums_in_place): none
  // pulled, each address holding its node's row.
  EXPECT_TRUE(mapped->LocatesEveryRowInPlace(config_->node_features[0].name));
  EXPECT_FALSE(mapped->LocatesEveryRowInPlace("no_such_feature"));
  EXPECT_FALSE(over_grpc->LocatesEveryRowInPlace(config_->node_features[0].name));
  std::vector<const float*> located(ids.size());
  std::vector<float> pulled;
  ASSERT_TRUE(
      mapped->LocateFeatureRows(config_->node_features[0].name, ids, located.data(), &pulled).ok());
  EXPECT_TRUE(pulled.empty());
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSERT_TRUE(std::equal(located[i], located[i] + ref_->feat_dim,
                           from_servers.features.begin() + i * ref_->feat_dim))
        << "node " << ids[i];
  }

  // What a trainer with --local_partition=auto or shm does: find its home
  // partition's server in ip_config.txt, ask it, map its segment.
  for (const LocalPartitionMode mode : {LocalPartitionMode::kAuto, LocalPartitionMode::kShm}) {
    absl::StatusOr<LocalPartitionChoice> choice =
        MapPartitionSegment(mode, WriteIpConfigOfCluster(), *config_, 1, 1, {});
    ASSERT_TRUE(choice.ok()) << choice.status();
    ASSERT_NE(choice->store, nullptr) << choice->reason;
    EXPECT_EQ(choice->store->shared_segment().path,
              InfoOf(cluster_->server(1).address()).shm_path());
    EXPECT_NE(choice->reason.find("from shared memory"), std::string::npos) << choice->reason;
  }

  // And both equal the source dataset.
  const int64_t dim = ref_->feat_dim;
  for (size_t i = 0; i < ids.size(); ++i) {
    const int64_t v = ids[i];
    ASSERT_TRUE(std::equal(from_segments.features.begin() + i * dim,
                           from_segments.features.begin() + (i + 1) * dim,
                           ref_->features.begin() + v * dim))
        << "features of node " << v;
    ASSERT_EQ(from_segments.labels[i], ref_->labels[v]) << "node " << v;
    ASSERT_EQ(from_segments.masks[i], ref_->split_masks[v]) << "node " << v;
    std::vector<int64_t> in(from_segments.all.src.begin() + from_segments.all.offsets[i],
                            from_segments.all.src.begin() + from_segments.all.offsets[i + 1]);
    std::sort(in.begin(), in.end());
    ASSERT_EQ(in, ref_->in_neighbors[v]) << "in-edges of node " << v;
  }
}

TEST_F(SharedMemoryTest, RefusesBadTruncatedAndForeignSegments) {
  StartServers();
  const std::string segment0 = InfoOf(cluster_->server(0).address()).shm_path();
  const std::string segment1 = InfoOf(cluster_->server(1).address()).shm_path();
  const std::string copy = shm_.Join("copy");
  auto expect_refused = [&](const std::string& path, int part, const std::string& expected) {
    absl::StatusOr<std::unique_ptr<MemoryPartitionStore>> store =
        MemoryPartitionStore::MapSharedSegment(path, *config_, part);
    ASSERT_FALSE(store.ok()) << expected;
    EXPECT_NE(store.status().message().find(expected), std::string::npos) << store.status();
    EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status();
  };

  expect_refused(shm_.Join("missing"), 0, "cannot open");
  // Partition 1's segment offered as partition 0.
  expect_refused(segment1, 0, "part_id is 1 in its meta record but 0 in the config");

  std::filesystem::copy_file(segment0, copy);
  std::filesystem::resize_file(copy, std::filesystem::file_size(copy) - 4096);
  expect_refused(copy, 0, "truncated or resized");

  std::filesystem::resize_file(copy, 100);
  {
    std::fstream file(copy, std::ios::in | std::ios::out | std::ios::binary);
    file.write("NOTASEGM", 8);
  }
  expect_refused(copy, 0, "bad magic");
  std::filesystem::resize_file(copy, 10);
  expect_refused(copy, 0, "shorter than its header");

  // A segment of another graph with the same shape is refused by name.
  std::filesystem::remove(copy);
  std::filesystem::copy_file(segment0, copy);
  {
    std::fstream file(copy, std::ios::in | std::ios::out | std::ios::binary);
    std::string head(4096, '\0');
    file.read(head.data(), head.size());
    const size_t at = head.find("\"graph_name\":\"cora\"");
    ASSERT_NE(at, std::string::npos);
    file.seekp(static_cast<std::streamoff>(at + std::string("\"graph_name\":\"").size()));
    file.write("aroc", 4);
  }
  expect_refused(copy, 0, "graph_name is aroc in its meta record but cora in the config");
}

TEST_F(SharedMemoryTest, CleanExitRemovesTheSegmentAndKillLeavesItForTheNextStart) {
  StartServers();
  const std::string first = InfoOf(cluster_->server(0).address()).shm_path();
  const std::shared_ptr<const PartitionStore> old_mapping = MapOrDie(first, *config_, 0);
  ASSERT_NE(old_mapping, nullptr);

  // kill -9: the segment stays behind.
  cluster_->server(0).process().Signal(SIGKILL);
  cluster_->server(0).process().Wait();
  EXPECT_TRUE(std::filesystem::exists(first));

  // Beside it: an unfinished file of a dead process (removed too), a segment
  // of a live process (pid 1) and one of another server ID (both kept).
  const std::string dead_temp = shm_.Join(".distsage-cora-part0-server0-999999999-1.tmp");
  const std::string live = shm_.Join("distsage-cora-part0-server0-1-1");
  const std::string other_server = shm_.Join("distsage-cora-part0-server7-999999999-1");
  for (const std::string& path : {dead_temp, live, other_server}) std::ofstream(path) << "x";

  // The restarted server removes it and publishes another one.
  cluster_->Restart(0);
  const GraphInfo info = InfoOf(cluster_->server(0).address());
  const std::string second = info.shm_path();
  EXPECT_NE(second, first);
  EXPECT_TRUE(std::filesystem::exists(second));
  EXPECT_FALSE(std::filesystem::exists(first));
  EXPECT_FALSE(std::filesystem::exists(dead_temp));
  EXPECT_TRUE(std::filesystem::exists(live));
  EXPECT_TRUE(std::filesystem::exists(other_server));
  std::filesystem::remove(live);
  std::filesystem::remove(other_server);
  EXPECT_NE(cluster_->server(0).process().ReadLog().find("removed " + first), std::string::npos)
      << cluster_->server(0).process().ReadLog();

  // The old, unlinked mapping still reads, and agrees with the new server.
  GraphClientOptions old_options;
  old_options.local_parts[0] = old_mapping;
  std::unique_ptr<GraphClient> through_old = Connect(old_options);
  std::unique_ptr<GraphClient> over_grpc = Connect();
  ASSERT_NE(through_old, nullptr);
  ASSERT_NE(over_grpc, nullptr);
  const std::vector<int64_t> ids = ShuffledIds();
  EXPECT_TRUE(AskEverything(through_old.get(), ids) == AskEverything(over_grpc.get(), ids));

  // A clean stop (SIGTERM) removes the servers' segments; nothing is left.
  for (int part = 0; part < 2; ++part) {
    cluster_->server(part).process().Signal(SIGTERM);
    EXPECT_EQ(cluster_->server(part).process().Wait(), 0);
  }
  EXPECT_EQ(SegmentFilesIn(shm_.path()), std::vector<std::string>());
}

TEST_F(SharedMemoryTest, NothingIsPublishedWithoutShmDirOrWithCacheNone) {
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"--shm_dir="}, std::vector<std::string>{"--cache", "none"}}) {
    SCOPED_TRACE(flags.front());
    StartServers(flags);
    for (int part = 0; part < 2; ++part) {
      const GraphInfo info = InfoOf(cluster_->server(part).address());
      EXPECT_EQ(info.shm_path(), "");
      EXPECT_EQ(info.shm_bytes(), 0);
    }
    EXPECT_EQ(SegmentFilesIn(shm_.path()), std::vector<std::string>());
    absl::StatusOr<LocalPartitionChoice> choice = MapPartitionSegment(
        LocalPartitionMode::kAuto, WriteIpConfigOfCluster(), *config_, 0, 1, {});
    ASSERT_TRUE(choice.ok()) << choice.status();
    EXPECT_EQ(choice->store, nullptr);
    EXPECT_NE(choice->reason.find("publishes no shared-memory segment"), std::string::npos)
        << choice->reason;
    // --local_partition=shm insists, and says what to do instead.
    choice =
        MapPartitionSegment(LocalPartitionMode::kShm, WriteIpConfigOfCluster(), *config_, 0, 1, {});
    ASSERT_FALSE(choice.ok());
    EXPECT_NE(choice.status().message().find("--local_partition=shm: partition 0's server"),
              std::string::npos)
        << choice.status();
    EXPECT_NE(choice.status().message().find("--local_partition=auto or server"), std::string::npos)
        << choice.status();
    cluster_.reset();
  }
}

TEST_F(SharedMemoryTest, UnusableShmDirStopsTheServerWithItsName) {
  testing::ChildProcess server(
      {testing::BinPath("graph_server"), "--ip_config",
       testing::WriteLoopbackIpConfig(work_.Join("ip.txt"), 2), "--part_config", *config_path_,
       "--server_id", "0", "--listen", "127.0.0.1:0", "--shm_dir", work_.Join("no/such/folder")},
      work_.Join("server.log"));
  EXPECT_EQ(server.Wait(), 1);
  EXPECT_NE(server.ReadLog().find("'" + work_.Join("no/such/folder") + "' is not a folder"),
            std::string::npos)
      << server.ReadLog();
}

TEST_F(SharedMemoryTest, ShmFileModeDecidesWhoMayMapTheSegment) {
  // Under a umask that would hide it (a systemd unit's UMask=0077).
  const mode_t old_umask = umask(0077);
  StartServers({"--shm_file_mode=0644"});
  umask(old_umask);
  for (int part = 0; part < 2; ++part) {
    struct stat file;
    ASSERT_EQ(stat(InfoOf(cluster_->server(part).address()).shm_path().c_str(), &file), 0);
    EXPECT_EQ(file.st_mode & 0777, 0644);
  }
  cluster_.reset();
  const std::vector<std::string> files_before = SegmentFilesIn(shm_.path());

  // Writable or executable by others, or not readable by its owner: refused
  // as a usage error, before anything is loaded.
  for (const std::string mode : {"0666", "0755", "0400", "644x", ""}) {
    SCOPED_TRACE(mode);
    testing::ChildProcess server(
        {testing::BinPath("graph_server"), "--ip_config",
         testing::WriteLoopbackIpConfig(work_.Join("ip.txt"), 2), "--part_config", *config_path_,
         "--server_id", "0", "--listen", "127.0.0.1:0", "--shm_dir", shm_.path(),
         "--shm_file_mode=" + mode},
        work_.Join("bad_mode.log"));
    EXPECT_EQ(server.Wait(), 2);
    EXPECT_NE(server.ReadLog().find("--shm_file_mode=" + mode + ": give an octal mode"),
              std::string::npos)
        << server.ReadLog();
  }
  EXPECT_EQ(SegmentFilesIn(shm_.path()), files_before);
}

// Whether this kernel moves a /dev/shm file's pages into 2 MiB ones on
// request (MADV_COLLAPSE, Linux 6.1+ with transparent huge pages): a 4 MiB
// file in `dir`, written through a mapping at a 2 MiB boundary, collapsed.
bool KernelCollapsesTmpfsPages(const std::string& dir) {
  const std::string path = dir + "/collapse-probe";
  const size_t bytes = size_t{4} << 20;
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0 || ftruncate(fd, bytes) != 0) return false;
  unlink(path.c_str());
  void* area = mmap(nullptr, 2 * bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) {
    close(fd);
    return false;
  }
  char* aligned = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(area) + bytes - 1) &
                                          ~static_cast<uintptr_t>(bytes - 1));
  void* mapping = mmap(aligned, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
  close(fd);
  bool collapsed = false;
  if (mapping != MAP_FAILED) {
    std::memset(mapping, 1, bytes);
    collapsed = madvise(mapping, bytes, 25 /* MADV_COLLAPSE */) == 0;
  }
  munmap(area, 2 * bytes);
  return collapsed;
}

TEST_F(SharedMemoryTest, SegmentsGetHugePagesInDevShmWhereTheKernelCollapsesThem) {
  StartServers();
  const GraphInfo info = InfoOf(cluster_->server(0).address());
  const std::string log = cluster_->server(0).process().ReadLog();
  absl::StatusOr<LocalPartitionChoice> choice =
      MapPartitionSegment(LocalPartitionMode::kShm, WriteIpConfigOfCluster(), *config_, 0, 1, {});
  ASSERT_TRUE(choice.ok()) << choice.status();
  // A whole number of 2 MiB blocks, so that the last one can be a huge page.
  EXPECT_EQ(info.shm_bytes() % (int64_t{2} << 20), 0);
  if (!KernelCollapsesTmpfsPages(shm_.path())) {
    // The server says so, and how to get them anyway.
    EXPECT_EQ(info.shm_huge_page_bytes(), 0);
    EXPECT_NE(log.find("has 4 KiB pages only"), std::string::npos) << log;
    EXPECT_NE(log.find("huge=within_size"), std::string::npos) << log;
    EXPECT_NE(choice->reason.find("MiB, 4 KiB pages: slower"), std::string::npos) << choice->reason;
    GTEST_SKIP() << "this kernel does not collapse tmpfs pages into 2 MiB ones (MADV_COLLAPSE, "
                    "Linux 6.1+): checked the 4 KiB report only";
  }
  // Every byte of the segment, holes filled, in 2 MiB pages.
  EXPECT_EQ(info.shm_huge_page_bytes(), info.shm_bytes());
  EXPECT_NE(log.find(absl::StrCat(info.shm_bytes() >> 20, " MiB in 2 MiB pages")),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("4 KiB pages"), std::string::npos) << log;
  EXPECT_NE(choice->reason.find("MiB, 2 MiB pages)"), std::string::npos) << choice->reason;

  // A reader (this process, as a trainer) maps them whole once it reads them.
  absl::StatusOr<std::unique_ptr<MappedRegion>> mapped = MappedRegion::MapReadOnly(info.shm_path());
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  EXPECT_EQ(reinterpret_cast<uintptr_t>((*mapped)->data()) % (uintptr_t{2} << 20), 0u);
  volatile char sum = 0;
  for (size_t offset = 0; offset < (*mapped)->size(); offset += 4096) {
    sum = sum + (*mapped)->data()[offset];
  }
  EXPECT_EQ((*mapped)->HugePageBytes(), (*mapped)->size());
}

}  // namespace
}  // namespace distsage
