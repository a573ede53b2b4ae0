// Real TrainerGroup ranks for unit tests: threads of the test process, each
// with its own store connection and Gloo sockets over TCP on loopback.
#ifndef DISTSAGE_TESTS_TRAINER_GROUP_RANKS_H_
#define DISTSAGE_TESTS_TRAINER_GROUP_RANKS_H_

#include <functional>
#include <string>

#include "trainer/trainer_group.h"

namespace distsage::testing {

// Options for `rank` of `world_size` meeting at 127.0.0.1:port, with a 30 s
// timeout.
TrainerGroupOptions GroupOptions(int rank, int world_size, int port);

// Runs body(group) on `world_size` joined ranks, one thread each, meeting
// at `master_addr`: rank 0 takes any free port (no bind-then-close race) and
// hands it to the others. A rank that cannot join fails the test.
void RunRanks(int world_size, const std::function<void(TrainerGroup&)>& body,
              const std::string& master_addr = "127.0.0.1");

}  // namespace distsage::testing

#endif  // DISTSAGE_TESTS_TRAINER_GROUP_RANKS_H_
