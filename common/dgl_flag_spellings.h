// DGL's example scripts spell some flags with hyphens (train_dist.py:
// --graph-name, --num-epochs, --batch-size ...), argparse style. Abseil flag
// names cannot contain '-', so a main() that accepts DGL's command lines
// unchanged rewrites argv with RewriteDglFlagSpellings before
// absl::ParseCommandLine.
#ifndef DISTSAGE_COMMON_DGL_FLAG_SPELLINGS_H_
#define DISTSAGE_COMMON_DGL_FLAG_SPELLINGS_H_

#include <string>
#include <vector>

#include "absl/types/span.h"

namespace distsage {

// Returns a copy of `argv` in which every flag named in `hyphenated` (names
// without dashes, e.g. "graph-name") is renamed to the same name with '_' for
// '-': "--graph-name", "-graph-name", "--graph-name=x" become "--graph_name",
// "-graph_name", "--graph_name=x". argv[0], values, arguments after "--" and
// every other flag are left as they are, so a hyphenated flag that is not in
// the list still reaches Abseil, which refuses it as an unknown flag.
std::vector<std::string> RewriteDglFlagSpellings(absl::Span<char* const> argv,
                                                 absl::Span<const char* const> hyphenated);

// Pointers into `args` (which must outlive them), in argv's shape: what
// absl::ParseCommandLine takes. Not null-terminated.
std::vector<char*> ArgvPointers(std::vector<std::string>& args);

// The hyphenated spellings of DGL's examples/distributed/graphsage/train_dist.py
// that the trainer accepts (each is also a trainer flag with '_' for '-').
absl::Span<const char* const> TrainDistHyphenatedFlags();

}  // namespace distsage

#endif  // DISTSAGE_COMMON_DGL_FLAG_SPELLINGS_H_
