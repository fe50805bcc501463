// Errors as values: Status and StatusOr<T>, in the manner of Perfetto's base::Status.
//
// Every failure that can be caused by input (a target binary, a process, the user's command line)
// is reported through these types, never through assert or exceptions.
#pragma once

#include <fmt/format.h>

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace gotap {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // the user's request is wrong (bad glob, bad flag, bad signature)
  kNotFound,          // a file, function, process or section does not exist
  kMalformed,         // bytes from a target are inconsistent (truncated, out of range, bad magic)
  kUnsupported,       // well-formed, but not something gotap handles (32-bit ELF, old Go)
  kPermissionDenied,  // missing privileges or capabilities
  kIo,                // an operating-system call failed
  kInternal,          // a bug in gotap
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "<prefix>: <message>"; ok stays ok.
  Status WithContext(std::string_view prefix) const;

  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename... Args>
Status MakeError(StatusCode code, fmt::format_string<Args...> format, Args&&... args) {
  return Status(code, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
Status InvalidArgument(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kInvalidArgument, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status NotFound(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kNotFound, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status Malformed(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kMalformed, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status Unsupported(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kUnsupported, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status IoError(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kIo, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status PermissionDenied(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kPermissionDenied, format, std::forward<Args>(args)...);
}
template <typename... Args>
Status Internal(fmt::format_string<Args...> format, Args&&... args) {
  return MakeError(StatusCode::kInternal, format, std::forward<Args>(args)...);
}

// Holds either a value or a non-ok Status. Accessing value() of an error is a gotap bug.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(data_).ok() && "StatusOr built from an ok Status");
  }
  StatusOr(T value) : data_(std::move(value)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(data_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }

  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> data_;
};

}  // namespace gotap

#define GOTAP_CONCAT_INNER(a, b) a##b
#define GOTAP_CONCAT(a, b) GOTAP_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::gotap::Status gotap_status_ = (expr);        \
    if (!gotap_status_.ok()) return gotap_status_; \
  } while (0)

#define GOTAP_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

// ASSIGN_OR_RETURN(auto x, Foo()); or ASSIGN_OR_RETURN(x, Foo());
#define ASSIGN_OR_RETURN(lhs, expr) \
  GOTAP_ASSIGN_OR_RETURN_IMPL(GOTAP_CONCAT(gotap_statusor_, __LINE__), lhs, expr)
