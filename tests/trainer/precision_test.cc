#include "trainer/precision.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace distsage {
namespace {

TEST(PrecisionTest, ParsesBothSpellingsAndRefusesOthers) {
  EXPECT_EQ(*ParsePrecision("fp32"), Precision::kFloat32);
  EXPECT_EQ(*ParsePrecision("float32"), Precision::kFloat32);
  EXPECT_EQ(*ParsePrecision("bf16"), Precision::kBFloat16);
  EXPECT_EQ(*ParsePrecision("bfloat16"), Precision::kBFloat16);
  const absl::StatusOr<Precision> fp16 = ParsePrecision("fp16");
  ASSERT_FALSE(fp16.ok());
  EXPECT_NE(fp16.status().message().find("expected auto (the default"), std::string::npos)
      << fp16.status();
}

// auto: bf16 exactly where the CPU has bf16 matrix units, never emulated and
// without a note; explicit choices go through ResolvePrecision.
TEST(PrecisionTest, AutoPicksBf16OnlyWithMatrixUnits) {
  const Bf16Support none;
  Bf16Support avx512;
  avx512.avx512_bf16 = true;
  std::string note = "stale";
  EXPECT_EQ(*ChoosePrecision("auto", avx512, false, &note), Precision::kBFloat16);
  EXPECT_TRUE(note.empty()) << note;
  EXPECT_EQ(*ChoosePrecision("auto", none, true, &note), Precision::kFloat32);
  EXPECT_TRUE(note.empty()) << note;
  EXPECT_EQ(*ChoosePrecision("fp32", avx512, false, &note), Precision::kFloat32);
  EXPECT_EQ(*ChoosePrecision("bf16", none, false, &note), Precision::kFloat32);
  EXPECT_NE(note.find("training in fp32 instead"), std::string::npos) << note;
  EXPECT_EQ(*ChoosePrecision("bf16", none, true, &note), Precision::kBFloat16Emulated);
  const absl::StatusOr<Precision> typo = ChoosePrecision("Auto", avx512, false, &note);
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("--precision=Auto"), std::string::npos) << typo.status();
}

TEST(PrecisionTest, Bf16WithoutMatrixUnitsFallsBackToFp32WithANote) {
  const Bf16Support none;
  std::string note;
  EXPECT_EQ(ResolvePrecision(Precision::kBFloat16, none, false, &note), Precision::kFloat32);
  EXPECT_NE(note.find("training in fp32 instead"), std::string::npos) << note;
  EXPECT_NE(note.find("--allow_emulated_bf16"), std::string::npos) << note;

  EXPECT_EQ(ResolvePrecision(Precision::kBFloat16, none, true, &note),
            Precision::kBFloat16Emulated);
  EXPECT_NE(note.find("emulated"), std::string::npos) << note;
  EXPECT_STREQ(PrecisionName(Precision::kBFloat16Emulated), "bf16-emulated");

  Bf16Support amx;
  amx.amx_bf16 = true;
  EXPECT_EQ(ResolvePrecision(Precision::kBFloat16, amx, false, &note), Precision::kBFloat16);
  EXPECT_TRUE(note.empty()) << note;
  EXPECT_EQ(ResolvePrecision(Precision::kFloat32, none, false, &note), Precision::kFloat32);
  EXPECT_TRUE(note.empty()) << note;
}

// cpuid agrees with what the kernel reports in /proc/cpuinfo (whose flags
// also require the OS to have enabled the register state).
TEST(PrecisionTest, DetectionAgreesWithProcCpuinfo) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  ASSERT_TRUE(cpuinfo) << "no /proc/cpuinfo";
  std::string line;
  std::set<std::string> flags;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string word; words >> word;) flags.insert(word);
    break;
  }
  ASSERT_FALSE(flags.empty()) << "no flags line in /proc/cpuinfo";
  const Bf16Support support = DetectBf16Support();
  EXPECT_EQ(support.avx512_bf16, flags.count("avx512_bf16") == 1) << support.Describe();
  EXPECT_EQ(support.amx_bf16, flags.count("amx_bf16") == 1) << support.Describe();
}

}  // namespace
}  // namespace distsage
