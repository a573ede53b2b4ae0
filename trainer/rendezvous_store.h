// Where the trainers of one job meet: a c10d::Store (what Gloo's process
// group rendezvouses through) backed by the RendezvousStore gRPC service
// (RendezvousService, server/rendezvous_service.h) that rank 0 hosts. It replaces c10d's
// TCPStore, which in LibTorch 1.13 listens on every interface of rank 0's
// machine and takes any client: this store listens on --master_addr only,
// and speaks the trainers' TLS (mutual when they have a CA and a certificate)
// and requires their bearer token, like the graph servers.
//
// Only trainer/trainer_group.cc uses it; the c10d header stays out of the
// rest of the trainer.
#ifndef DISTSAGE_TRAINER_RENDEZVOUS_STORE_H_
#define DISTSAGE_TRAINER_RENDEZVOUS_STORE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/transport_security.h"

namespace distsage {

struct RendezvousOptions {
  // Rank 0's address, which it listens on (exactly this address, not every
  // interface) and the others dial.
  std::string master_addr = "127.0.0.1";
  // 0 on the host: any free port (see RendezvousStore::port).
  int master_port = 0;
  // True on rank 0: this process serves the store.
  bool host = false;
  // The trainers' TLS files (--tls_cert/--tls_key/--tls_ca). The host serves
  // TLS with cert and key, mutual with a CA too; clients verify the host's
  // certificate for master_addr against the CA and present theirs.
  TlsFiles tls;
  // The trainers' bearer token ("" for none): required by the host, sent by
  // every client.
  std::string auth_token;
  // How long a client waits for the host to answer, and for a key to appear
  // (c10d's store timeout).
  absl::Duration timeout = absl::Minutes(5);
};

// A c10d::Store client of rank 0's store; on rank 0 it also owns the server.
class RendezvousStore : public c10d::Store {
 public:
  // On the host: starts serving (UNAVAILABLE when the address is in use or
  // not this machine's), then connects to itself. Elsewhere: connects,
  // waiting up to `timeout` for the host to answer (UNAVAILABLE naming the
  // address after that). INVALID_ARGUMENT for unusable TLS files.
  static absl::StatusOr<c10::intrusive_ptr<RendezvousStore>> Open(const RendezvousOptions& options);
  ~RendezvousStore() override;

  // The port the store is served on (the chosen one when asked for 0).
  int port() const;

  // c10d::Store. Failures (timeout, host gone, refused credentials) throw
  // std::runtime_error naming the store's address and what was asked, as
  // c10d's stores do.
  void set(const std::string& key, const std::vector<uint8_t>& value) override;
  std::vector<uint8_t> compareSet(const std::string& key, const std::vector<uint8_t>& expected,
                                  const std::vector<uint8_t>& desired) override;
  std::vector<uint8_t> get(const std::string& key) override;
  int64_t add(const std::string& key, int64_t value) override;
  bool deleteKey(const std::string& key) override;
  bool check(const std::vector<std::string>& keys) override;
  int64_t getNumKeys() override;
  void wait(const std::vector<std::string>& keys) override;
  void wait(const std::vector<std::string>& keys,
            const std::chrono::milliseconds& timeout) override;

  // What Open builds (public for c10::make_intrusive only).
  struct Connection;
  RendezvousStore(std::unique_ptr<Connection> connection, absl::Duration timeout);

 private:
  std::unique_ptr<Connection> connection_;
};

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_RENDEZVOUS_STORE_H_
