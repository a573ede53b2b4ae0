#include "partitioner/csv_numbers.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace distsage {
namespace {

TEST(CsvNumbersTest, ParsesFloatsWithSignsAndExponents) {
  float value = 0;
  ASSERT_TRUE(ParseFloat("-0.057", &value));
  EXPECT_FLOAT_EQ(value, -0.057f);
  ASSERT_TRUE(ParseFloat("1e-05", &value));
  EXPECT_FLOAT_EQ(value, 1e-05f);
  ASSERT_TRUE(ParseFloat("3.2E+01", &value));
  EXPECT_FLOAT_EQ(value, 32.0f);
  ASSERT_TRUE(ParseFloat("+1.5", &value));
  EXPECT_FLOAT_EQ(value, 1.5f);
  ASSERT_TRUE(ParseFloat(" 2.0 ", &value));
  EXPECT_FLOAT_EQ(value, 2.0f);
  ASSERT_TRUE(ParseFloat("7", &value));
  EXPECT_FLOAT_EQ(value, 7.0f);
  ASSERT_TRUE(ParseFloat("nan", &value));
  EXPECT_TRUE(std::isnan(value));
}

TEST(CsvNumbersTest, RejectsMalformedFloats) {
  float value = 0;
  for (const char* bad : {"", "abc", "1.2.3", "1,", "--1", "1e", "0x"}) {
    EXPECT_FALSE(ParseFloat(bad, &value)) << bad;
  }
}

TEST(CsvNumbersTest, ParsesIntegersStrictly) {
  int64_t value = 0;
  ASSERT_TRUE(ParseInt64("2449029", &value));
  EXPECT_EQ(value, 2449029);
  ASSERT_TRUE(ParseInt64("-3", &value));
  EXPECT_EQ(value, -3);
  for (const char* bad : {"", "1.0", "12a", "a", "99999999999999999999"}) {
    EXPECT_FALSE(ParseInt64(bad, &value)) << bad;
  }
}

TEST(CsvNumbersTest, LabelsAcceptIntegralFloatsAndNanAsUnlabelled) {
  int64_t label = 0;
  ASSERT_TRUE(ParseLabel("3", &label));
  EXPECT_EQ(label, 3);
  ASSERT_TRUE(ParseLabel("4.0", &label));
  EXPECT_EQ(label, 4);
  ASSERT_TRUE(ParseLabel("nan", &label));
  EXPECT_EQ(label, -1);
  EXPECT_FALSE(ParseLabel("3.5", &label));
  EXPECT_FALSE(ParseLabel("x", &label));
}

TEST(CsvNumbersTest, ForEachCsvFieldVisitsEveryFieldInOrder) {
  std::vector<std::string> fields;
  EXPECT_TRUE(ForEachCsvField("a,,b", [&](absl::string_view f) {
    fields.emplace_back(f);
    return true;
  }));
  EXPECT_EQ(fields, (std::vector<std::string>{"a", "", "b"}));
  int visited = 0;
  EXPECT_FALSE(ForEachCsvField("1,2,3", [&](absl::string_view) { return ++visited < 2; }));
  EXPECT_EQ(visited, 2);
}

}  // namespace
}  // namespace distsage
