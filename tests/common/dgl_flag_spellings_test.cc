#include "common/dgl_flag_spellings.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace distsage {
namespace {

std::vector<std::string> Rewrite(std::vector<std::string> args) {
  const std::vector<char*> argv = ArgvPointers(args);
  return RewriteDglFlagSpellings(argv, TrainDistHyphenatedFlags());
}

TEST(DglFlagSpellingsTest, RenamesDglsHyphenatedFlagsInEveryForm) {
  EXPECT_EQ(Rewrite({"trainer", "--graph-name", "ogb-product", "--num-epochs=3", "-batch-size",
                     "1000", "--fan-out=5,10", "--batch-size-eval", "500"}),
            (std::vector<std::string>{"trainer", "--graph_name", "ogb-product", "--num_epochs=3",
                                      "-batch_size", "1000", "--fan_out=5,10", "--batch_size_eval",
                                      "500"}));
}

TEST(DglFlagSpellingsTest, LeavesValuesProgramNameAndUnderscoreFlagsAlone) {
  // Only flag names are renamed: values such as "ogb-product" or "-1,-1"
  // keep their hyphens.
  EXPECT_EQ(
      Rewrite({"/opt/graph-name/trainer", "--graph_name=ogb-product", "--fan_out", "-1,-1",
               "--conf_path", "data/ogb-product.json", "--standalone"}),
      (std::vector<std::string>{"/opt/graph-name/trainer", "--graph_name=ogb-product", "--fan_out",
                                "-1,-1", "--conf_path", "data/ogb-product.json", "--standalone"}));
}

TEST(DglFlagSpellingsTest, UnknownHyphenatedFlagsPassThroughForAbslToRefuse) {
  EXPECT_EQ(
      Rewrite({"trainer", "--num-threads=2", "--graph-names", "x", "---graph-name", "-", "--"}),
      (std::vector<std::string>{"trainer", "--num-threads=2", "--graph-names", "x", "---graph-name",
                                "-", "--"}));
}

TEST(DglFlagSpellingsTest, StopsAtDoubleDash) {
  EXPECT_EQ(Rewrite({"trainer", "--num-epochs=1", "--", "--num-epochs=2"}),
            (std::vector<std::string>{"trainer", "--num_epochs=1", "--", "--num-epochs=2"}));
}

}  // namespace
}  // namespace distsage
