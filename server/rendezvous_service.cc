#include "server/rendezvous_service.h"

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "proto/grpc_status.h"

namespace distsage {
namespace {

// How often a blocked Get/Wait looks whether its call was cancelled (a
// trainer gone, the server stopping): Mutex waits cannot watch for it.
constexpr absl::Duration kCancelPollInterval = absl::Milliseconds(200);

absl::Time DeadlineOf(const grpc::ServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

}  // namespace

RendezvousServiceImpl::RendezvousServiceImpl(const CallAuthorizer* authorizer)
    : authorizer_(authorizer) {}

grpc::Status RendezvousServiceImpl::Admit(const grpc::ServerContext& context,
                                          absl::string_view method) const {
  return ToGrpcStatus(authorizer_->Check(context, absl::StrCat("RendezvousService.", method)));
}

template <typename Keys>
grpc::Status RendezvousServiceImpl::AwaitKeys(grpc::ServerContext* context, const Keys& keys) {
  const auto first_missing = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return std::find_if(keys.begin(), keys.end(),
                        [&](const std::string& key) { return !values_.contains(key); });
  };
  const auto all_exist = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return first_missing() == keys.end();
  };
  const absl::Time deadline = DeadlineOf(*context);
  while (!all_exist()) {
    if (context->IsCancelled()) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "rendezvous wait cancelled");
    }
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                          absl::StrCat("rendezvous key '", absl::CHexEscape(*first_missing()),
                                       "' was not set in time (has every trainer started?)"));
    }
    mu_.AwaitWithDeadline(absl::Condition(&all_exist),
                          std::min(deadline, now + kCancelPollInterval));
  }
  return grpc::Status::OK;
}

grpc::Status RendezvousServiceImpl::Set(grpc::ServerContext* context,
                                        const RendezvousSetRequest* request,
                                        RendezvousSetResponse* /*response*/) {
  if (grpc::Status admitted = Admit(*context, "Set"); !admitted.ok()) return admitted;
  absl::MutexLock lock(&mu_);
  values_[request->key()] = request->value();
  return grpc::Status::OK;
}

grpc::Status RendezvousServiceImpl::Get(grpc::ServerContext* context,
                                        const RendezvousGetRequest* request,
                                        RendezvousGetResponse* response) {
  if (grpc::Status admitted = Admit(*context, "Get"); !admitted.ok()) return admitted;
  absl::MutexLock lock(&mu_);
  const std::string* key = &request->key();
  grpc::Status status = AwaitKeys(context, absl::MakeConstSpan(key, 1));
  if (!status.ok()) return status;
  response->set_value(values_.at(*key));
  return grpc::Status::OK;
}

grpc::Status RendezvousServiceImpl::Add(grpc::ServerContext* context,
                                        const RendezvousAddRequest* request,
                                        RendezvousAddResponse* response) {
  if (grpc::Status admitted = Admit(*context, "Add"); !admitted.ok()) return admitted;
  absl::MutexLock lock(&mu_);
  std::string& stored = values_[request->key()];
  int64_t value = 0;
  if (!stored.empty() && !absl::SimpleAtoi(stored, &value)) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("rendezvous key '", absl::CHexEscape(request->key()), "' holds '",
                     absl::CHexEscape(stored), "', not an integer to add to"));
  }
  value += request->delta();
  stored = absl::StrCat(value);
  response->set_value(value);
  return grpc::Status::OK;
}

grpc::Status RendezvousServiceImpl::CompareSet(grpc::ServerContext* context,
                                               const RendezvousCompareSetRequest* request,
                                               RendezvousCompareSetResponse* response) {
  if (grpc::Status admitted = Admit(*context, "CompareSet"); !admitted.ok()) return admitted;
  absl::MutexLock lock(&mu_);
  const auto found = values_.find(request->key());
  if (found == values_.end()) {
    // Absent: set only when absent was expected (an empty `expected`).
    if (!request->expected().empty()) return grpc::Status::OK;
    values_[request->key()] = request->desired();
    response->set_value(request->desired());
  } else {
    if (found->second == request->expected()) found->second = request->desired();
    response->set_value(found->second);
  }
  return grpc::Status::OK;
}

grpc::Status RendezvousServiceImpl::DeleteKey(grpc::ServerContext* context,
                                              const RendezvousKeyRequest* request,
                                              RendezvousDeleteKeyResponse* response) {
  if (grpc::Status admitted = Admit(*context, "DeleteKey"); !admitted.ok()) return admitted;
  absl::MutexLock lock(&mu_);
  response->set_existed(values_.erase(request->key()) > 0);
  return grpc::Status::OK;
}

grpc::Status RendezvousServiceImpl::Check(grpc::ServerContext* context,
                                          const RendezvousKeysRequest* request,
                                          RendezvousCheckResponse* response) {
  if (grpc::Status admitted = Admit(*context, "Check"); !admitted.ok()) return admitted;
  absl::MutexLock lock(&mu_);
  response->set_all_exist(
      std::all_of(request->keys().begin(), request->keys().end(),
                  [&](const std::string& key) { return values_.contains(key); }));
  return grpc::Status::OK;
}

grpc::Status RendezvousServiceImpl::Wait(grpc::ServerContext* context,
                                         const RendezvousKeysRequest* request,
                                         RendezvousWaitResponse* /*response*/) {
  if (grpc::Status admitted = Admit(*context, "Wait"); !admitted.ok()) return admitted;
  absl::MutexLock lock(&mu_);
  return AwaitKeys(context, request->keys());
}

grpc::Status RendezvousServiceImpl::NumKeys(grpc::ServerContext* context,
                                            const RendezvousNumKeysRequest* /*request*/,
                                            RendezvousNumKeysResponse* response) {
  if (grpc::Status admitted = Admit(*context, "NumKeys"); !admitted.ok()) return admitted;
  absl::MutexLock lock(&mu_);
  response->set_count(static_cast<int64_t>(values_.size()));
  return grpc::Status::OK;
}

}  // namespace distsage
