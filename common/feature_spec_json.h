// nlohmann-json conversions of FeatureSpec, shared by the partition config
// and the per-partition meta record so both spell a feature the same way:
//   {"name": "feat", "dtype": "float32", "shape": [dim]}
#ifndef DISTSAGE_COMMON_FEATURE_SPEC_JSON_H_
#define DISTSAGE_COMMON_FEATURE_SPEC_JSON_H_

#include "common/partition_config.h"
#include "nlohmann/json.hpp"

namespace distsage {

inline void to_json(nlohmann::json& j, const FeatureSpec& spec) {
  j = {{"name", spec.name}, {"dtype", spec.dtype}, {"shape", {spec.dim}}};
}

// Throws nlohmann::json::exception when a field is missing or mistyped.
inline void from_json(const nlohmann::json& j, FeatureSpec& spec) {
  spec.name = j.at("name").get<std::string>();
  spec.dtype = j.at("dtype").get<std::string>();
  spec.dim = j.at("shape").at(0).get<int64_t>();
}

}  // namespace distsage

#endif  // DISTSAGE_COMMON_FEATURE_SPEC_JSON_H_
