#include "common/ip_config.h"

#include <arpa/inet.h>

#include <fstream>
#include <map>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
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
    machine.line = line_number;
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

namespace {

// `host` spelled one way for comparison: IP literals in their canonical
// text, `localhost` as 127.0.0.1, names in lower case. Resolves nothing (no
// DNS lookup at start-up).
std::string CanonicalHost(const std::string& host) {
  const std::string lower = absl::AsciiStrToLower(host);
  if (lower == "localhost") return "127.0.0.1";
  unsigned char address[sizeof(in6_addr)];
  char text[INET6_ADDRSTRLEN];
  for (const int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, lower.c_str(), address) == 1 &&
        inet_ntop(family, address, text, sizeof(text)) != nullptr) {
      return text;
    }
  }
  return lower;
}

std::string LineOf(const std::string& source, const MachineAddress& machine) {
  return machine.line > 0 ? absl::StrCat(source, ":", machine.line)
                          : absl::StrCat(source, " (", machine.host, ")");
}

}  // namespace

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
  // Canonical "host:port" -> the machine whose server uses it.
  std::map<std::string, int> first_user;
  for (int part = 0; part < num_parts; ++part) {
    const MachineAddress& machine = machines[part];
    for (int local = 0; local < num_servers; ++local) {
      const int port = machine.base_port + local;
      if (port > 65535) {
        return absl::InvalidArgumentError(
            absl::StrCat(LineOf(source, machine), " ('", machine.host, " ", machine.base_port,
                         "'): with ", num_servers, " server(s) per machine its servers need ports ",
                         machine.base_port, "..", machine.base_port + num_servers - 1,
                         ", past 65535; give it a port of at most ", 65536 - num_servers));
      }
      const auto [it, inserted] =
          first_user.emplace(JoinHostPort(CanonicalHost(machine.host), port), part);
      if (!inserted) {
        const MachineAddress& other = machines[it->second];
        return absl::InvalidArgumentError(absl::StrCat(
            LineOf(source, other), " ('", other.host, " ", other.base_port, "') and ",
            LineOf(source, machine), " ('", machine.host, " ", machine.base_port,
            "') both put a server on ", it->first, " (", num_servers,
            " server(s) per machine use ports PORT..PORT+", num_servers - 1,
            "); two servers cannot share an address: give each machine line its own host or "
            "port"));
      }
      slots.push_back({part * num_servers + local, part, ServerAddress(machine, local)});
    }
  }
  return slots;
}

}  // namespace distsage
