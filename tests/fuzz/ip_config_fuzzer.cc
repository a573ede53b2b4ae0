// Fuzzes the cluster description parsers: the input is an ip_config.txt
// (ParseIpConfig), laid out for 1..4 parts and 1..3 servers per machine
// (ServerLayout: the duplicate-address checks), and every address it yields
// goes through ParseHostPort (what --listen and the clients read). Beyond the
// sanitizers, it checks that a layout holds one slot per server with distinct
// addresses that parse back to the machine's host and port.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "common/host_port.h"
#include "common/ip_config.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "ip_config: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace distsage;
  const fuzz::Selected input = fuzz::SplitSelector(data, size);
  const std::string text(input.rest);
  absl::StatusOr<std::vector<MachineAddress>> machines = ParseIpConfig(text, "fuzz_ip_config.txt");
  if (!machines.ok()) {
    if (machines.status().message().empty()) Fail("an error without a message");
    ParseHostPort(text).IgnoreError();
    return 0;
  }
  const int num_servers = 1 + input.selector % 3;
  for (int num_parts = 1; num_parts <= 4; ++num_parts) {
    absl::StatusOr<std::vector<ServerSlot>> slots =
        ServerLayout(*machines, num_parts, num_servers, "fuzz_ip_config.txt");
    if (!slots.ok()) continue;
    if (static_cast<int>(slots->size()) != num_parts * num_servers) Fail("wrong slot count");
    std::set<std::string> addresses;
    for (const ServerSlot& slot : *slots) {
      if (!addresses.insert(slot.address).second) Fail("two servers share " + slot.address);
      absl::StatusOr<HostPort> parsed = ParseHostPort(slot.address);
      if (!parsed.ok()) Fail("its own address does not parse: " + slot.address);
      const MachineAddress& machine = (*machines)[slot.part];
      if (parsed->port != machine.base_port + slot.server_id % num_servers) {
        Fail("wrong port in " + slot.address);
      }
    }
  }
  return 0;
}
