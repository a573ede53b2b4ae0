// The trainers' rendezvous store over real gRPC on loopback: c10d's Store
// semantics, where it listens, and its credentials (a token; mutual TLS with
// certificates from deploy/make_certs).
#include "trainer/rendezvous_store.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/common/test_util.h"
#include "tests/server/server_cluster.h"

namespace distsage {
namespace {

std::vector<uint8_t> Bytes(const std::string& text) { return {text.begin(), text.end()}; }

RendezvousOptions HostOptions() {
  RendezvousOptions options;
  options.master_addr = "127.0.0.1";
  options.master_port = 0;
  options.host = true;
  options.timeout = absl::Seconds(10);
  return options;
}

// A client of the store `host` serves.
RendezvousOptions ClientOf(const RendezvousOptions& host_options, int port) {
  RendezvousOptions options = host_options;
  options.host = false;
  options.master_port = port;
  options.timeout = absl::Seconds(2);
  return options;
}

TEST(RendezvousStoreTest, HasTheSemanticsOfC10dStores) {
  absl::StatusOr<c10::intrusive_ptr<RendezvousStore>> host = RendezvousStore::Open(HostOptions());
  ASSERT_TRUE(host.ok()) << host.status();
  absl::StatusOr<c10::intrusive_ptr<RendezvousStore>> client =
      RendezvousStore::Open(ClientOf(HostOptions(), (*host)->port()));
  ASSERT_TRUE(client.ok()) << client.status();

  (*host)->set("rank0/address", Bytes("10.0.0.1:4000"));
  EXPECT_EQ((*client)->get("rank0/address"), Bytes("10.0.0.1:4000"));
  EXPECT_EQ((*client)->getNumKeys(), 1);

  // get blocks until another rank sets the key.
  std::thread late_setter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    (*host)->set("rank1/address", Bytes("late"));
  });
  EXPECT_EQ((*client)->get("rank1/address"), Bytes("late"));
  late_setter.join();

  EXPECT_EQ((*client)->add("arrived", 1), 1);
  EXPECT_EQ((*host)->add("arrived", 2), 3);
  EXPECT_EQ((*client)->get("arrived"), Bytes("3"));  // Stored as decimal text, as TCPStore does.
  EXPECT_THROW((*client)->add("rank0/address", 1), std::runtime_error);

  EXPECT_EQ((*client)->compareSet("leader", {}, Bytes("a")), Bytes("a"));  // Absent, as expected.
  EXPECT_EQ((*client)->compareSet("leader", Bytes("x"), Bytes("b")), Bytes("a"));  // Mismatch.
  EXPECT_EQ((*client)->compareSet("leader", Bytes("a"), Bytes("b")), Bytes("b"));

  EXPECT_TRUE((*client)->check({"rank0/address", "arrived"}));
  EXPECT_FALSE((*client)->check({"rank0/address", "nobody"}));
  EXPECT_TRUE((*client)->deleteKey("leader"));
  EXPECT_FALSE((*client)->deleteKey("leader"));
  EXPECT_EQ((*client)->getNumKeys(), 3);

  (*client)->wait({"rank0/address", "rank1/address"});
  try {
    (*client)->wait({"rank0/address", "rank7/address"}, std::chrono::milliseconds(300));
    ADD_FAILURE() << "waiting for a key nobody sets returned";
  } catch (const std::runtime_error& error) {
    // Says which store, which call and which key is missing.
    const std::string what = error.what();
    EXPECT_NE(what.find(absl::StrCat("127.0.0.1:", (*host)->port())), std::string::npos) << what;
    EXPECT_NE(what.find("Wait"), std::string::npos) << what;
    EXPECT_NE(what.find("rank7/address"), std::string::npos) << what;
  }
}

// The addresses of the LISTEN sockets on `port`, from the kernel's tables
// (/proc/net/tcp and tcp6), in their hex form: "0100007F" is 127.0.0.1, and
// gRPC binds an IPv4 address as its IPv4-mapped IPv6 form on a dual-stack
// socket ("0000000000000000FFFF00000100007F").
std::vector<std::string> ListeningAddresses(int port) {
  std::vector<std::string> found;
  for (const char* path : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream table(path);
    std::string line;
    std::getline(table, line);  // Header.
    while (std::getline(table, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      const size_t colon = local.find(':');
      if (state == "0A" && colon != std::string::npos &&
          local.substr(colon + 1) == absl::StrFormat("%04X", port)) {
        found.push_back(local.substr(0, colon));
      }
    }
  }
  return found;
}

// Unlike LibTorch 1.13's TCPStore (every interface), the store listens on
// --master_addr alone.
TEST(RendezvousStoreTest, ListensOnTheMasterAddressOnly) {
  absl::StatusOr<c10::intrusive_ptr<RendezvousStore>> host = RendezvousStore::Open(HostOptions());
  ASSERT_TRUE(host.ok()) << host.status();
  const std::vector<std::string> addresses = ListeningAddresses((*host)->port());
  ASSERT_EQ(addresses.size(), 1u);
  EXPECT_TRUE(addresses[0] == "0100007F" || addresses[0] == "0000000000000000FFFF00000100007F")
      << addresses[0] << " is not 127.0.0.1";
  // A second job on the same port is refused, naming it.
  RendezvousOptions second = HostOptions();
  second.master_port = (*host)->port();
  absl::StatusOr<c10::intrusive_ptr<RendezvousStore>> clash = RendezvousStore::Open(second);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(clash.status().message().find(absl::StrCat(":", (*host)->port())), std::string::npos)
      << clash.status();
}

TEST(RendezvousStoreTest, NobodyAnsweringIsNamedAfterTheTimeout) {
  RendezvousOptions options = ClientOf(HostOptions(), testing::FreePort());
  options.timeout = absl::Seconds(1);
  absl::StatusOr<c10::intrusive_ptr<RendezvousStore>> client = RendezvousStore::Open(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(client.status().message().find(absl::StrCat("127.0.0.1:", options.master_port)),
            std::string::npos)
      << client.status();
}

TEST(RendezvousStoreTest, RequiresTheTrainersToken) {
  RendezvousOptions host_options = HostOptions();
  host_options.auth_token = "job-secret";
  absl::StatusOr<c10::intrusive_ptr<RendezvousStore>> host = RendezvousStore::Open(host_options);
  ASSERT_TRUE(host.ok()) << host.status();
  const int port = (*host)->port();

  absl::StatusOr<c10::intrusive_ptr<RendezvousStore>> trainer =
      RendezvousStore::Open(ClientOf(host_options, port));
  ASSERT_TRUE(trainer.ok()) << trainer.status();

  RendezvousOptions stranger = ClientOf(host_options, port);
  stranger.auth_token = "";
  absl::StatusOr<c10::intrusive_ptr<RendezvousStore>> refused = RendezvousStore::Open(stranger);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("UNAUTHENTICATED"), std::string::npos)
      << refused.status();
  stranger.auth_token = "guess";
  refused = RendezvousStore::Open(stranger);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("PERMISSION_DENIED"), std::string::npos)
      << refused.status();
}

TEST(RendezvousStoreTest, SpeaksMutualTlsWithMakeCertsCertificates) {
  testing::TempDir dir;
  testing::MakeLoopbackCertificates(dir.Join("certs"));
  testing::MakeLoopbackCertificates(dir.Join("other"));
  ASSERT_FALSE(HasFailure());
  const auto tls_of = [&](const std::string& certs) {
    return TlsFiles{certs + "/client.pem", certs + "/client-key.pem", certs + "/ca.pem"};
  };
  RendezvousOptions host_options = HostOptions();
  host_options.tls = tls_of(dir.Join("certs"));
  absl::StatusOr<c10::intrusive_ptr<RendezvousStore>> host = RendezvousStore::Open(host_options);
  ASSERT_TRUE(host.ok()) << host.status();
  const int port = (*host)->port();

  absl::StatusOr<c10::intrusive_ptr<RendezvousStore>> trainer =
      RendezvousStore::Open(ClientOf(host_options, port));
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  (*trainer)->set("k", Bytes("v"));
  EXPECT_EQ((*host)->get("k"), Bytes("v"));

  // Plaintext, and a certificate of another cluster's CA, never get through
  // the handshake.
  RendezvousOptions plaintext = ClientOf(host_options, port);
  plaintext.tls = {};
  plaintext.timeout = absl::Seconds(1);
  EXPECT_FALSE(RendezvousStore::Open(plaintext).ok());
  RendezvousOptions foreign = ClientOf(host_options, port);
  foreign.tls = tls_of(dir.Join("other"));
  foreign.timeout = absl::Seconds(1);
  absl::StatusOr<c10::intrusive_ptr<RendezvousStore>> refused = RendezvousStore::Open(foreign);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("make_certs"), std::string::npos) << refused.status();
}

}  // namespace
}  // namespace distsage
