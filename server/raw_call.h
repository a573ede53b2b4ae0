// What every raw (hand-framed) callback method of a service does with its
// request and its answer: parse the serialised request into its message,
// unpack its packed `bytes` fields, and finish the call with a serialised
// answer or an error status.
//
// Every method of the project's services is a raw callback method, even
// those with ordinary protobuf answers: when gRPC parses a request itself, a
// body that does not parse (a string field that is not UTF-8, say) is
// answered INTERNAL with an empty message. Parsed here, it is answered
// INVALID_ARGUMENT naming the method and the field.
#ifndef DISTSAGE_SERVER_RAW_CALL_H_
#define DISTSAGE_SERVER_RAW_CALL_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/partition_format.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "proto/grpc_status.h"

namespace distsage {

// Why `raw` does not parse as a `type` message, for an error: the first
// string field, nested messages included ("spec.name"), that is not valid
// UTF-8 (proto3 requires it), or that the bytes are not a protobuf message
// at all.
std::string WhyNotParsable(const grpc::ByteBuffer& raw, const google::protobuf::Descriptor& type);

// Parses a raw request of `method` ("KVStoreService.Push") into its message;
// INVALID_ARGUMENT naming the method and what is wrong when it is not one.
template <typename Request>
absl::Status ParseRequest(const grpc::ByteBuffer& raw, absl::string_view method, Request* request) {
  grpc::ByteBuffer readable(raw);  // Shares the slices; the reader needs a mutable buffer.
  grpc::ProtoBufferReader reader(&readable);
  if (!request->ParseFromZeroCopyStream(&reader)) {
    return absl::InvalidArgumentError(
        absl::StrCat(method, ": the request is not a valid ", request->GetTypeName(),
                     " message: ", WhyNotParsable(raw, *request->GetDescriptor())));
  }
  return absl::OkStatus();
}

// The packed little-endian values of `bytes` field `field` into `values`;
// INVALID_ARGUMENT naming the field when it is not a whole number of them
// (`what` names the value type in the message, e.g. "LE int64 IDs").
template <typename T>
absl::Status DecodePackedField(const std::string& bytes, const char* field, const char* what,
                               std::vector<T>* values) {
  if (!partition_format::UnpackArray(bytes, values)) {
    return absl::InvalidArgumentError(absl::StrCat("field '", field, "' has ", bytes.size(),
                                                   " bytes, not a whole number of ", what));
  }
  return absl::OkStatus();
}

// Finishes a raw callback call with `answer` or its error.
inline grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* context,
                                       absl::StatusOr<grpc::ByteBuffer> answer,
                                       grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (answer.ok()) {
    response->Swap(&*answer);
    reactor->Finish(grpc::Status::OK);
  } else {
    reactor->Finish(ToGrpcStatus(answer.status()));
  }
  return reactor;
}

// A raw callback method whose request and answer are ordinary messages:
// parses `raw` as a Request (ParseRequest), runs
// `answer(request, &response)` -> absl::Status, and finishes the call with
// the serialised Response or the first error.
template <typename Request, typename Response, typename Answer>
grpc::ServerUnaryReactor* ReplyToMessage(grpc::CallbackServerContext* context,
                                         absl::string_view method, const grpc::ByteBuffer& raw,
                                         grpc::ByteBuffer* response, Answer answer) {
  Request request;
  absl::Status status = ParseRequest(raw, method, &request);
  Response typed;
  if (status.ok()) status = answer(request, &typed);
  if (!status.ok()) return Reply(context, status, response);
  grpc::ByteBuffer serialised;
  bool own_buffer = false;
  if (!grpc::SerializationTraits<Response>::Serialize(typed, &serialised, &own_buffer).ok()) {
    return Reply(context,
                 absl::InternalError(absl::StrCat(method, ": cannot serialise the ",
                                                  typed.GetTypeName(), " answer")),
                 response);
  }
  return Reply(context, std::move(serialised), response);
}

}  // namespace distsage

#endif  // DISTSAGE_SERVER_RAW_CALL_H_
