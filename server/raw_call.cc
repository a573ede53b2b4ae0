#include "server/raw_call.h"

#include "google/protobuf/stubs/common.h"
#include "google/protobuf/unknown_field_set.h"

namespace distsage {
namespace {

// The path ("spec.name") of the first string field of `fields`, read as a
// `type` message, that is not valid UTF-8, nested messages included; "" when
// there is none.
std::string FirstNonUtf8Field(const google::protobuf::UnknownFieldSet& fields,
                              const google::protobuf::Descriptor& type) {
  for (int i = 0; i < fields.field_count(); ++i) {
    const google::protobuf::UnknownField& field = fields.field(i);
    const google::protobuf::FieldDescriptor* descriptor = type.FindFieldByNumber(field.number());
    if (descriptor == nullptr ||
        field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    if (descriptor->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
        !google::protobuf::internal::IsStructurallyValidUTF8(field.length_delimited())) {
      return descriptor->name();
    }
    if (descriptor->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
      google::protobuf::UnknownFieldSet nested;
      if (!nested.ParseFromString(field.length_delimited())) continue;
      const std::string inner = FirstNonUtf8Field(nested, *descriptor->message_type());
      if (!inner.empty()) return descriptor->name() + "." + inner;
    }
  }
  return "";
}

}  // namespace

std::string WhyNotParsable(const grpc::ByteBuffer& raw, const google::protobuf::Descriptor& type) {
  grpc::ByteBuffer readable(raw);
  grpc::ProtoBufferReader reader(&readable);
  google::protobuf::UnknownFieldSet fields;
  if (!fields.ParseFromZeroCopyStream(&reader)) {
    return "the body is not protobuf wire format (send the serialised request message)";
  }
  const std::string non_utf8 = FirstNonUtf8Field(fields, type);
  if (!non_utf8.empty()) {
    return absl::StrCat("field '", non_utf8,
                        "' is not valid UTF-8 (string fields must be UTF-8 text)");
  }
  return absl::StrCat("its fields do not match ", type.full_name(),
                      "'s (a field of the wrong wire type?)");
}

}  // namespace distsage
