#include "probe/signature.h"

#include <fmt/format.h>

namespace gotap::probe {
namespace {

std::string Join(const std::vector<Value>& values) {
  std::string out;
  for (const Value& value : values) {
    if (!out.empty()) out += ", ";
    out += value.ToString();
  }
  return out;
}

}  // namespace

std::string Value::ToString() const {
  return named ? fmt::format("{} {}", name, type->name) : type->name;
}

std::string Signature::ToString() const {
  std::string out = "(" + Join(params) + ")";
  if (results.size() == 1 && !results.front().named) {
    out += " " + results.front().type->name;
  } else if (!results.empty()) {
    out += " (" + Join(results) + ")";
  }
  return out;
}

}  // namespace gotap::probe
