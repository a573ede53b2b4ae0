// nlohmann-json conversions of FeatureSpec, shared by the partition config
// and the per-partition meta record so both spell a feature the same way:
//   {"name": "feat", "dtype": "float32", "shape": [dim]}
// ("dtype" absent: float32, as every set written before bfloat16 storage)
// and the strict integer reads both use for their numbers.
#ifndef DISTSAGE_COMMON_FEATURE_SPEC_JSON_H_
#define DISTSAGE_COMMON_FEATURE_SPEC_JSON_H_

#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/partition_config.h"
#include "nlohmann/json.hpp"

namespace distsage {

// `value` (field `field`) as an integer of type T. nlohmann's get<T>() casts
// a float ("1e300": undefined behaviour) or an integer out of T's range (a
// silent wrap: part_id 4294967296 would read as 0) with static_cast; this
// throws nlohmann::json::type_error naming the field instead.
template <typename T>
T JsonInteger(const nlohmann::json& value, const char* field) {
  constexpr int64_t kMin = std::numeric_limits<T>::min();
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<T>::max());
  if (value.is_number_unsigned()) {
    const uint64_t number = value.get<uint64_t>();
    if (number <= kMax) return static_cast<T>(number);
  } else if (value.is_number_integer()) {
    const int64_t number = value.get<int64_t>();
    if (number >= kMin && (number < 0 || static_cast<uint64_t>(number) <= kMax)) {
      return static_cast<T>(number);
    }
  }
  throw nlohmann::json::type_error::create(302,
                                           absl::StrCat("'", field, "' must be an integer in [",
                                                        kMin, ", ", kMax, "], not ", value.dump()),
                                           &value);
}

// Field `key` of object `j` as JsonInteger<int64_t>, or `fallback` when absent.
inline int64_t JsonInteger(const nlohmann::json& j, const char* key, int64_t fallback) {
  return j.contains(key) ? JsonInteger<int64_t>(j.at(key), key) : fallback;
}

inline void to_json(nlohmann::json& j, const FeatureSpec& spec) {
  j = {{"name", spec.name}, {"dtype", spec.dtype}, {"shape", {spec.dim}}};
}

// Throws nlohmann::json::exception when a field is missing or mistyped.
inline void from_json(const nlohmann::json& j, FeatureSpec& spec) {
  spec.name = j.at("name").get<std::string>();
  spec.dtype = j.contains("dtype") ? j.at("dtype").get<std::string>() : kFloat32Dtype;
  spec.dim = JsonInteger<int64_t>(j.at("shape").at(0), "shape");
}

}  // namespace distsage

#endif  // DISTSAGE_COMMON_FEATURE_SPEC_JSON_H_
