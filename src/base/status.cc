#include "base/status.h"

namespace gotap {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid argument";
    case StatusCode::kNotFound:
      return "not found";
    case StatusCode::kMalformed:
      return "malformed";
    case StatusCode::kUnsupported:
      return "unsupported";
    case StatusCode::kPermissionDenied:
      return "permission denied";
    case StatusCode::kIo:
      return "i/o error";
    case StatusCode::kInternal:
      return "internal error";
  }
  return "unknown";
}

Status Status::WithContext(std::string_view prefix) const {
  if (ok()) return *this;
  return Status(code_, fmt::format("{}: {}", prefix, message_));
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return fmt::format("{} ({})", message_, StatusCodeName(code_));
}

}  // namespace gotap
