// Fixed-width rows (feature rows, labels, KV tensor rows) of a routed
// request, put back in request order: from a partition held in this process,
// or straight out of a partition's hand-framed answer. Shared by the graph
// and KV clients.
#ifndef DISTSAGE_CLIENT_ROUTED_ROWS_H_
#define DISTSAGE_CLIENT_ROUTED_ROWS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "common/bfloat16.h"
#include "common/id_router.h"
#include "common/status_macros.h"
#include "proto/proto_wire.h"

namespace distsage {

// Writes the rows (`width` T each) of the IDs routed to `part` into `out` at
// their request positions, gathered in this process by
// gather(part_ids, rows) -> absl::Status. A single-partition request gathers
// straight into `out`; otherwise through a buffer kept per thread across
// calls, at its largest size: a fresh buffer of tens of megabytes per pull
// costs more in first-touch page faults than the gather that fills it.
template <typename T, typename Gather>
absl::Status GatherRoutedRows(const IdRouter& router, int part, size_t width, T* out,
                              Gather gather) {
  const absl::Span<const int64_t> part_ids = router.ids_of(part);
  if (router.single_part()) return gather(part_ids, out);
  thread_local std::vector<T> rows;
  rows.resize(part_ids.size() * width);
  DS_RETURN_IF_ERROR(gather(part_ids, rows.data()));
  router.Scatter(part, rows.data(), width, out);
  return absl::OkStatus();
}

// Finds bytes field `rows_field` of `response` and, when it holds exactly
// `expected` bytes, calls read_payload() (which reads them from `response`);
// DATA_LOSS naming `what` otherwise.
template <typename ReadPayload>
absl::Status ReadRowsField(proto_wire::MessageReader* response, int rows_field, size_t expected,
                           const char* what, ReadPayload read_payload) {
  size_t received = 0;
  while (true) {
    DS_ASSIGN_OR_RETURN(const bool more, response->Next());
    if (!more) break;
    if (response->field() != rows_field) continue;
    received = response->value();
    if (response->wire_type() != proto_wire::WireType::kLengthDelimited || received != expected) {
      break;
    }
    DS_RETURN_IF_ERROR(read_payload());
  }
  if (received != expected) {
    return absl::DataLossError(
        absl::StrCat("the answer has ", received, " bytes of ", what, ", expected ", expected));
  }
  return absl::OkStatus();
}

// Reads `part`'s answer: its bytes field `rows_field` holds the rows (`width`
// T each) of the IDs routed to `part`, copied once, from the received slices
// to their request positions in `out`. DATA_LOSS when the field does not
// hold exactly those rows.
template <typename T>
absl::Status ReadRoutedRows(const IdRouter& router, int part, int rows_field, size_t width,
                            proto_wire::MessageReader* response, T* out) {
  const absl::Span<const int64_t> positions = router.positions_of(part);
  const size_t row_bytes = width * sizeof(T);
  return ReadRowsField(response, rows_field, positions.size() * row_bytes, "rows", [&] {
    if (router.single_part()) return response->ReadPayload(out, positions.size() * row_bytes);
    for (const int64_t position : positions) {
      DS_RETURN_IF_ERROR(
          response->ReadPayload(out + static_cast<size_t>(position) * width, row_bytes));
    }
    return absl::OkStatus();
  });
}

// As ReadRoutedRows, for float rows that travel as bfloat16
// (PullFeaturesResponse.bfloat16_rows): each received row is widened into
// `out` at its request position.
inline absl::Status ReadRoutedBFloat16Rows(const IdRouter& router, int part, int rows_field,
                                           size_t width, proto_wire::MessageReader* response,
                                           float* out) {
  const absl::Span<const int64_t> positions = router.positions_of(part);
  const size_t expected = positions.size() * width * sizeof(uint16_t);
  return ReadRowsField(response, rows_field, expected, "bfloat16 rows", [&] {
    thread_local std::vector<uint16_t> rows;
    rows.resize(positions.size() * width);
    DS_RETURN_IF_ERROR(response->ReadPayload(rows.data(), expected));
    for (size_t i = 0; i < positions.size(); ++i) {
      BFloat16ToFloat(absl::MakeConstSpan(rows.data() + i * width, width),
                      out + static_cast<size_t>(positions[i]) * width);
    }
    return absl::OkStatus();
  });
}

}  // namespace distsage

#endif  // DISTSAGE_CLIENT_ROUTED_ROWS_H_
