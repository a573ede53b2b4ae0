// Number parsing for the OGB CSV files: std::from_chars (locale-free, no
// allocation), tolerant of surrounding spaces and a leading '+', which pandas
// (OGB's own reader) accepts too.
#ifndef DISTSAGE_PARTITIONER_CSV_NUMBERS_H_
#define DISTSAGE_PARTITIONER_CSV_NUMBERS_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace distsage {

// Parses a whole field as a base-10 integer. False on anything else.
bool ParseInt64(absl::string_view field, int64_t* value);
// Parses a whole field as a decimal float ("-0.057", "1e-05", "3.2E+01",
// "nan"). False on anything else, including out-of-range values.
bool ParseFloat(absl::string_view field, float* value);
// Parses a class label: an integer, or a float with an integral value
// ("3.0"), or "nan" for an unlabelled node (-1), as OGB writes labels of
// partly labelled datasets. False on anything else.
bool ParseLabel(absl::string_view field, int64_t* value);

// Calls `parse(field)` for every comma-separated field of `line`, in order,
// stopping early (and returning false) when it returns false.
template <typename Parse>
bool ForEachCsvField(absl::string_view line, Parse&& parse) {
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    if (comma == absl::string_view::npos) return parse(line.substr(start));
    if (!parse(line.substr(start, comma - start))) return false;
    start = comma + 1;
  }
}

}  // namespace distsage

#endif  // DISTSAGE_PARTITIONER_CSV_NUMBERS_H_
