#include "probe/dwarf_signature.h"

#include <fmt/format.h>

#include <optional>
#include <span>
#include <string>

#include "probe/selector.h"
#include "probe/value_shape.h"

namespace gotap::probe {
namespace {

using dwarf::Type;

constexpr int kMaxDepth = 32;

std::string Describe(const Type& type) {
  return fmt::format("{} ({} bytes)", type.name, type.size);
}

// Why `written` and `actual` differ in kind, size or shape, or nullopt if they agree.
std::optional<std::string> Difference(const Type& written, const Type& actual, int depth) {
  if (actual.kind == Type::Kind::kOther) return std::nullopt;
  if (depth > kMaxDepth) return "types nest too deeply to compare";
  if (written.kind != actual.kind || written.size != actual.size) {
    if (depth == 0) return "";  // the caller names the two types
    return fmt::format("{} vs {}", Describe(written), Describe(actual));
  }
  if (written.kind == Type::Kind::kArray) {
    if (written.array_length != actual.array_length) {
      return fmt::format("{} vs {} elements", written.array_length, actual.array_length);
    }
    if (written.elem == nullptr || actual.elem == nullptr) return std::nullopt;
    if (auto diff = Difference(*written.elem, *actual.elem, depth + 1)) {
      return fmt::format("element: {}", diff->empty() ? "types differ" : *diff);
    }
  }
  if (written.kind == Type::Kind::kStruct) {
    if (written.fields.size() != actual.fields.size()) {
      return fmt::format("{} vs {} fields", written.fields.size(), actual.fields.size());
    }
    for (size_t i = 0; i < written.fields.size(); ++i) {
      const dwarf::Field& w = written.fields[i];
      const dwarf::Field& a = actual.fields[i];
      if (w.offset != a.offset) {
        return fmt::format("field {} at offset {} vs {}", a.name, w.offset, a.offset);
      }
      if (auto diff = Difference(*w.type, *a.type, depth + 1)) {
        return fmt::format("field {}: {}", a.name,
                           diff->empty() ? Describe(*w.type) + " vs " + Describe(*a.type) : *diff);
      }
    }
  }
  return std::nullopt;
}

Status CompareLists(std::string_view func, const char* what, std::span<const Value> written,
                    std::span<const Value> actual) {
  auto fail = [&](const std::string& message) {
    return InvalidArgument("signature contradicts DWARF for {}: {}", func, message);
  };
  if (written.size() != actual.size()) {
    std::string listed;
    for (const Value& value : actual) listed += (listed.empty() ? "" : ", ") + value.ToString();
    return fail(fmt::format("{} {}s written, DWARF has {} ({})", written.size(), what,
                            actual.size(), listed));
  }
  for (size_t i = 0; i < written.size(); ++i) {
    const Value& w = written[i];
    const Value& a = actual[i];
    if (auto diff = Difference(*w.type, *a.type, 0)) {
      return fail(fmt::format("{} {} '{}' is {} in the signature, {} in DWARF{}", what, i + 1,
                              w.named ? w.name : a.name, Describe(*w.type), Describe(*a.type),
                              diff->empty() ? "" : " (" + *diff + ")"));
    }
  }
  return Status::Ok();
}

}  // namespace

Signature SignatureFromDwarf(const dwarf::Function& function) {
  Signature signature;
  for (const dwarf::Parameter& parameter : function.parameters) {
    std::vector<Value>& list = parameter.is_result ? signature.results : signature.params;
    Value value{parameter.name, parameter.type, true};
    if (value.name.empty() || value.name[0] == '~') {
      value.name = fmt::format("{}{}", parameter.is_result ? "r" : "arg", list.size());
      value.named = false;
    }
    list.push_back(std::move(value));
  }
  return signature;
}

Status CheckSignatureAgainstDwarf(const Signature& written, const dwarf::Function& function) {
  // Bounds the comparison below, which walks the written types.
  for (const auto* list : {&written.params, &written.results}) {
    for (const Value& value : *list) RETURN_IF_ERROR(CheckShape(*value.type));
  }
  Signature actual = SignatureFromDwarf(function);
  std::span<const Value> actual_params = actual.params;
  if (HasPointerReceiver(function.name)) {
    if (actual_params.empty() || (actual_params.front().type->kind != Type::Kind::kPointer &&
                                  actual_params.front().type->kind != Type::Kind::kOther)) {
      return InvalidArgument("DWARF of {} lists no pointer receiver", function.name);
    }
    actual_params = actual_params.subspan(1);
  }
  RETURN_IF_ERROR(CompareLists(function.name, "parameter", written.params, actual_params));
  return CompareLists(function.name, "result", written.results, actual.results);
}

}  // namespace gotap::probe
