#include "common/ip_config.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/host_port.h"

namespace distsage {

absl::StatusOr<std::vector<MachineAddress>> ReadIpConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read ip_config '", path,
                     "': the file is missing or unreadable (expected one 'IP [PORT]' per line)"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseIpConfig(text.str(), path);
}

absl::StatusOr<std::vector<MachineAddress>> ParseIpConfig(const std::string& text,
                                                          const std::string& source_name) {
  std::vector<MachineAddress> machines;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto bad_line = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(source_name, ":", line_number, ": ", why,
                                                     " in '", line,
                                                     "'; expected 'IP [PORT]', e.g. "
                                                     "'127.0.0.1 30050'"));
    };
    if (fields.size() > 2) return bad_line("too many fields");
    MachineAddress machine;
    machine.host = std::string(fields[0]);
    if (machine.host.find_first_of(",;") != std::string::npos) {
      return bad_line("host contains a separator");
    }
    if (fields.size() == 2) {
      int port = 0;
      if (!absl::SimpleAtoi(fields[1], &port) || port < 1 || port > 65535) {
        return bad_line("port is not a number in 1..65535");
      }
      machine.base_port = port;
    }
    machines.push_back(std::move(machine));
  }
  if (machines.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": no machines listed; add one 'IP [PORT]' line per machine"));
  }
  return machines;
}

std::string ServerAddress(const MachineAddress& machine, int server_index) {
  return JoinHostPort(machine.host, machine.base_port + server_index);
}

absl::StatusOr<std::vector<ServerSlot>> ServerLayout(const std::vector<MachineAddress>& machines,
                                                     int num_parts, int num_servers,
                                                     const std::string& source) {
  if (num_servers < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("servers per machine must be at least 1, not ", num_servers));
  }
  if (static_cast<int>(machines.size()) != num_parts) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, " lists ", machines.size(), " machines but the graph has ", num_parts,
        " partitions; machine i serves partition i, so list one machine per partition"));
  }
  std::vector<ServerSlot> slots;
  for (int part = 0; part < num_parts; ++part) {
    for (int local = 0; local < num_servers; ++local) {
      slots.push_back({part * num_servers + local, part, ServerAddress(machines[part], local)});
    }
  }
  return slots;
}

}  // namespace distsage
