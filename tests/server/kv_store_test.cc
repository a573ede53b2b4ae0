// A server's KV tensors in process: creation is idempotent, bad input is
// refused with nothing changed, pushes sum duplicates, and a save comes back
// byte for byte after reopening the folder (what a restarted server does).
#include "server/kv_store.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <vector>

#include "tests/common/test_util.h"

namespace distsage {
namespace {

using ::distsage::testing::TempDir;

KVTensorSpec Spec(const char* optimizer, int dim = 3) {
  KVTensorSpec spec;
  spec.name = "emb";
  spec.dim = dim;
  spec.init = "uniform";
  spec.init_scale = 0.1f;
  spec.seed = 3;
  spec.optimizer = *ParseOptimizer(optimizer, 0.5f, 0, 0, 0);
  return spec;
}

std::unique_ptr<KVStore> OpenStore(const std::string& save_dir) {
  absl::StatusOr<std::unique_ptr<KVStore>> store = KVStore::Open({10, 20, save_dir});
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

TEST(KVStoreTest, CreateIsIdempotentAndRefusesAnotherShape) {
  std::unique_ptr<KVStore> store = OpenStore("");
  ASSERT_TRUE(store->Create(Spec("sgd")).ok());
  ASSERT_TRUE(store->Create(Spec("sgd")).ok());
  const absl::Status other = store->Create(Spec("sgd", 4));
  EXPECT_EQ(other.code(), absl::StatusCode::kFailedPrecondition) << other;
  EXPECT_NE(other.message().find("dim 3"), std::string::npos) << other;
  EXPECT_NE(other.message().find("dim 4"), std::string::npos) << other;
  EXPECT_EQ(store->List().size(), 1u);
}

TEST(KVStoreTest, InitialRowsDependOnSeedAndNodeOnly) {
  // The same node in two stores with different row ranges (partitionings).
  std::unique_ptr<KVStore> a = OpenStore("");
  absl::StatusOr<std::unique_ptr<KVStore>> b = KVStore::Open({15, 30, ""});
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(a->Create(Spec("none")).ok());
  ASSERT_TRUE((*b)->Create(Spec("none")).ok());
  std::vector<float> row_a(3), row_b(3);
  const std::vector<int64_t> node = {17};
  ASSERT_TRUE((*a->Find("emb"))->Pull(node, row_a.data()).ok());
  ASSERT_TRUE((*(*b)->Find("emb"))->Pull(node, row_b.data()).ok());
  EXPECT_EQ(row_a, row_b);
  for (float v : row_a) EXPECT_LT(std::abs(v), 0.1f);
}

TEST(KVStoreTest, RefusesBadInputAndChangesNothing) {
  std::unique_ptr<KVStore> store = OpenStore("");
  ASSERT_TRUE(store->Create(Spec("sgd")).ok());
  EXPECT_EQ(store->Find("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(store->Find("nope").status().message().find("'emb'"), std::string::npos);
  std::shared_ptr<KVTable> table = *store->Find("emb");
  std::vector<float> before(3), after(3);
  const std::vector<int64_t> ids = {12};
  ASSERT_TRUE(table->Pull(ids, before.data()).ok());

  const std::vector<int64_t> outside = {12, 25};
  absl::StatusOr<int64_t> pushed = table->Push(outside, std::vector<float>(6, 1.0f));
  EXPECT_EQ(pushed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(pushed.status().message().find("node 25"), std::string::npos) << pushed.status();

  pushed = table->Push(ids, std::vector<float>(4, 1.0f));
  EXPECT_EQ(pushed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(pushed.status().message().find("row length 3"), std::string::npos) << pushed.status();

  const std::vector<int64_t> two = {12, 13};
  std::vector<float> grads(6, 1.0f);
  grads[4] = std::numeric_limits<float>::quiet_NaN();
  pushed = table->Push(two, grads);
  EXPECT_EQ(pushed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(pushed.status().message().find("node 13"), std::string::npos) << pushed.status();

  ASSERT_TRUE(table->Pull(ids, after.data()).ok());
  EXPECT_EQ(before, after) << "a refused push changed a row";

  ASSERT_TRUE(store->Create(Spec("none")).code() == absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->Save().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(KVStoreTest, SaveComesBackByteForByteAfterReopening) {
  TempDir dir;
  const std::string save_dir = dir.Join("kv");
  KVTableContents saved;
  {
    std::unique_ptr<KVStore> store = OpenStore(save_dir);
    ASSERT_TRUE(store->Create(Spec("adam")).ok());
    std::shared_ptr<KVTable> table = *store->Find("emb");
    const std::vector<int64_t> ids = {10, 11, 11, 19};
    ASSERT_TRUE(table->Push(ids, std::vector<float>(12, 0.25f)).ok());
    absl::StatusOr<std::string> path = store->Save();
    ASSERT_TRUE(path.ok()) << path.status();
    EXPECT_EQ(std::filesystem::path(*path).filename(), "save-1");
    saved = table->Snapshot();
    // Changes after the save are not in it.
    ASSERT_TRUE(table->Push(ids, std::vector<float>(12, 1.0f)).ok());
  }
  std::unique_ptr<KVStore> reopened = OpenStore(save_dir);
  ASSERT_EQ(reopened->List().size(), 1u);
  EXPECT_TRUE(reopened->List()[0] == Spec("adam"));
  const KVTableContents loaded = (*reopened->Find("emb"))->Snapshot();
  EXPECT_EQ(loaded.rows, saved.rows);
  EXPECT_EQ(loaded.state, saved.state);
  EXPECT_EQ(loaded.steps, saved.steps);
  EXPECT_EQ(loaded.steps[1], 1);  // Node 11 twice in one push: one step.

  // A second save becomes current; the first is kept, a third replaces it.
  ASSERT_TRUE(reopened->Save().ok());
  EXPECT_TRUE(std::filesystem::exists(save_dir + "/save-1"));
  EXPECT_TRUE(std::filesystem::exists(save_dir + "/save-2"));
  ASSERT_TRUE(reopened->Save().ok());
  EXPECT_FALSE(std::filesystem::exists(save_dir + "/save-1"));
  EXPECT_TRUE(std::filesystem::exists(save_dir + "/save-2"));
  EXPECT_TRUE(std::filesystem::exists(save_dir + "/save-3"));

  // Another partition's save is refused.
  absl::StatusOr<std::unique_ptr<KVStore>> other = KVStore::Open({20, 30, save_dir});
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition) << other.status();
}

// A training checkpoint loads the save it made, by its label, even after a
// later save (a trainer that died before its own checkpoint of that epoch).
TEST(KVStoreTest, LabelledSavesLoadBackByLabel) {
  TempDir dir;
  const std::string save_dir = dir.Join("kv");
  std::unique_ptr<KVStore> store = OpenStore(save_dir);
  ASSERT_TRUE(store->Create(Spec("adagrad")).ok());
  std::shared_ptr<KVTable> table = *store->Find("emb");
  const std::vector<int64_t> ids = {12, 13};
  ASSERT_TRUE(table->Push(ids, std::vector<float>(6, 0.5f)).ok());
  ASSERT_TRUE(store->Save("checkpoint-epoch-2").ok());
  const KVTableContents at_epoch_2 = table->Snapshot();
  ASSERT_TRUE(table->Push(ids, std::vector<float>(6, -2.0f)).ok());
  ASSERT_TRUE(store->Save("checkpoint-epoch-4").ok());
  const KVTableContents at_epoch_4 = table->Snapshot();
  ASSERT_TRUE(table->Push(ids, std::vector<float>(6, 3.0f)).ok());  // Unsaved.

  absl::StatusOr<int64_t> loaded = store->Load("checkpoint-epoch-2");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, 1);
  EXPECT_EQ((*store->Find("emb"))->Snapshot().rows, at_epoch_2.rows);
  EXPECT_EQ((*store->Find("emb"))->Snapshot().state, at_epoch_2.state);
  ASSERT_TRUE(store->Load().ok());  // The current save: epoch 4.
  EXPECT_EQ((*store->Find("emb"))->Snapshot().rows, at_epoch_4.rows);

  const absl::StatusOr<int64_t> missing = store->Load("checkpoint-epoch-6");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("'checkpoint-epoch-4', 'checkpoint-epoch-2'"),
            std::string::npos)
      << missing.status();
}

}  // namespace
}  // namespace distsage
