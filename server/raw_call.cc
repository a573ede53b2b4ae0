#include "server/raw_call.h"

#include "google/protobuf/stubs/common.h"
#include "google/protobuf/unknown_field_set.h"

namespace distsage {

std::string WhyNotParsable(const grpc::ByteBuffer& raw, const google::protobuf::Descriptor& type) {
  grpc::ByteBuffer readable(raw);
  grpc::ProtoBufferReader reader(&readable);
  google::protobuf::UnknownFieldSet fields;
  if (!fields.ParseFromZeroCopyStream(&reader)) {
    return "the body is not protobuf wire format (send the serialised request message)";
  }
  for (int i = 0; i < fields.field_count(); ++i) {
    const google::protobuf::UnknownField& field = fields.field(i);
    const google::protobuf::FieldDescriptor* descriptor = type.FindFieldByNumber(field.number());
    if (descriptor == nullptr ||
        descriptor->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
        field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    if (!google::protobuf::internal::IsStructurallyValidUTF8(field.length_delimited())) {
      return absl::StrCat("field '", descriptor->name(),
                          "' is not valid UTF-8 (string fields must be UTF-8 text)");
    }
  }
  return absl::StrCat("its fields do not match ", type.full_name(),
                      "'s (a field of the wrong wire type?)");
}

}  // namespace distsage
