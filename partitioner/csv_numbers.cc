#include "partitioner/csv_numbers.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"

namespace distsage {
namespace {

// Strips spaces and one leading '+', which std::from_chars rejects.
absl::string_view Normalize(absl::string_view field) {
  field = absl::StripAsciiWhitespace(field);
  if (!field.empty() && field[0] == '+') field.remove_prefix(1);
  return field;
}

}  // namespace

bool ParseInt64(absl::string_view field, int64_t* value) {
  field = Normalize(field);
  if (field.empty()) return false;
  const char* end = field.data() + field.size();
  const auto result = std::from_chars(field.data(), end, *value);
  return result.ec == std::errc() && result.ptr == end;
}

bool ParseFloat(absl::string_view field, float* value) {
  field = Normalize(field);
  if (field.empty()) return false;
  const char* end = field.data() + field.size();
  const auto result = std::from_chars(field.data(), end, *value);
  return result.ec == std::errc() && result.ptr == end;
}

bool ParseLabel(absl::string_view field, int64_t* value) {
  if (ParseInt64(field, value)) return true;
  float real = 0;
  if (!ParseFloat(field, &real)) return false;
  if (std::isnan(real)) {
    *value = -1;
    return true;
  }
  if (real != std::floor(real) ||
      std::fabs(static_cast<double>(real)) > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  *value = static_cast<int64_t>(real);
  return true;
}

}  // namespace distsage
