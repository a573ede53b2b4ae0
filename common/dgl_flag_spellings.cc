#include "common/dgl_flag_spellings.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace distsage {
namespace {

// argparse also accepts DGL's flags as "--name value"; the value is a
// separate argument and never matches a listed name, so it is not touched.
std::string Rewritten(absl::string_view arg, absl::Span<const char* const> hyphenated) {
  absl::string_view dashes = arg.substr(0, arg.find_first_not_of('-'));
  if (dashes.empty() || dashes.size() > 2 || dashes.size() == arg.size()) return std::string(arg);
  absl::string_view name = arg.substr(dashes.size());
  absl::string_view value;
  if (const size_t equals = name.find('='); equals != absl::string_view::npos) {
    value = name.substr(equals);
    name = name.substr(0, equals);
  }
  const bool known = std::any_of(hyphenated.begin(), hyphenated.end(),
                                 [&](const char* spelling) { return name == spelling; });
  if (!known) return std::string(arg);
  return absl::StrCat(dashes, absl::StrReplaceAll(name, {{"-", "_"}}), value);
}

}  // namespace

std::vector<std::string> RewriteDglFlagSpellings(absl::Span<char* const> argv,
                                                 absl::Span<const char* const> hyphenated) {
  std::vector<std::string> args;
  args.reserve(argv.size());
  bool flags_ended = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const absl::string_view arg = argv[i];
    if (i == 0 || flags_ended) {
      args.emplace_back(arg);
      continue;
    }
    if (arg == "--") flags_ended = true;
    args.push_back(Rewritten(arg, hyphenated));
  }
  return args;
}

std::vector<char*> ArgvPointers(std::vector<std::string>& args) {
  std::vector<char*> pointers;
  pointers.reserve(args.size());
  for (std::string& arg : args) pointers.push_back(arg.data());
  return pointers;
}

absl::Span<const char* const> TrainDistHyphenatedFlags() {
  // As DGL's train_dist.py spelled them (its README's command lines use them).
  static constexpr const char* kFlags[] = {
      "graph-name", "num-epochs", "batch-size", "batch-size-eval", "num-hidden", "num-layers",
      "fan-out",    "log-every",  "eval-every", "num-gpus",        "num-client"};
  return kFlags;
}

}  // namespace distsage
