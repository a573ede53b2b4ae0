// Early-return helpers for absl::Status / absl::StatusOr, which Abseil 20220623
// does not ship.
#ifndef DISTSAGE_COMMON_STATUS_MACROS_H_
#define DISTSAGE_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define DS_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status ds_status_ = (expr);      \
    if (!ds_status_.ok()) return ds_status_; \
  } while (0)

#define DS_CONCAT_INNER_(a, b) a##b
#define DS_CONCAT_(a, b) DS_CONCAT_INNER_(a, b)

// `DS_ASSIGN_OR_RETURN(auto x, F());` assigns the value of an absl::StatusOr or
// returns its error status from the enclosing function.
#define DS_ASSIGN_OR_RETURN(lhs, expr) \
  DS_ASSIGN_OR_RETURN_IMPL_(DS_CONCAT_(ds_statusor_, __LINE__), lhs, expr)
#define DS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

#endif  // DISTSAGE_COMMON_STATUS_MACROS_H_
