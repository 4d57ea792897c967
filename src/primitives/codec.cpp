#include "primitives/codec.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>

namespace physis {

Bytes encode_canonical(const google::protobuf::Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return Bytes(out.begin(), out.end());
}

Status decode_canonical(ByteSpan bytes, google::protobuf::Message& out, std::string_view what) {
  if (bytes.size() > static_cast<size_t>(INT32_MAX))
    return make_error("malformed", std::string(what) + " is too large to decode");
  if (!out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return make_error("malformed", std::string(what) + " is not valid protobuf");
  // Unknown fields survive parsing in proto3 and would be re-emitted; dropping them first makes any
  // unknown field show up as a mismatch below.
  out.DiscardUnknownFields();
  Bytes again = encode_canonical(out);
  // std::equal, not memcmp: an empty input has a null data() and memcmp(nullptr, …, 0) is undefined.
  if (!std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()))
    return make_error("malformed", std::string(what) +
                                       " is not in canonical encoding (unknown, duplicate, out-of-order or "
                                       "default-valued fields)");
  return ok_status();
}

}  // namespace physis
