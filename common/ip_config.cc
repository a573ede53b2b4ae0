#include "common/ip_config.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

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
  const bool ipv6 = machine.host.find(':') != std::string::npos;
  return absl::StrCat(ipv6 ? "[" : "", machine.host, ipv6 ? "]" : "", ":",
                      machine.base_port + server_index);
}

}  // namespace distsage
