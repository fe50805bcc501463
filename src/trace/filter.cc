#include "trace/filter.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>

#include "base/duration.h"

namespace gotap::trace {
namespace {

struct FieldName {
  std::string_view name;
  gotap_filter_field field;
};
constexpr std::array<FieldName, 5> kFields = {{{"goid", GOTAP_FF_GOID},
                                               {"pid", GOTAP_FF_PID},
                                               {"tid", GOTAP_FF_TID},
                                               {"duration", GOTAP_FF_DURATION},
                                               {"dur", GOTAP_FF_DURATION}}};

struct OpName {
  std::string_view text;
  gotap_filter_op op;
};
// Two-character operators first, so that "<=" is not read as "<".
constexpr std::array<OpName, 6> kOps = {{{"==", GOTAP_OP_EQ},
                                         {"!=", GOTAP_OP_NE},
                                         {"<=", GOTAP_OP_LE},
                                         {">=", GOTAP_OP_GE},
                                         {"<", GOTAP_OP_LT},
                                         {">", GOTAP_OP_GT}}};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

StatusOr<gotap_filter_cond> ParseCondition(std::string_view text) {
  text = Trim(text);
  size_t op_at = text.find_first_of("=!<>");
  if (op_at == std::string_view::npos) {
    return InvalidArgument("bad filter '{}': expected FIELD OP VALUE, e.g. goid==17", text);
  }
  std::string_view name = Trim(text.substr(0, op_at));
  gotap_filter_cond cond{};
  for (const FieldName& f : kFields) {
    if (f.name == name) cond.field = f.field;
  }
  if (cond.field == 0) {
    return InvalidArgument("bad filter '{}': unknown field '{}' (goid, pid, tid, duration)", text,
                           name);
  }
  std::string_view rest = text.substr(op_at);
  for (const OpName& o : kOps) {
    if (rest.starts_with(o.text)) {
      cond.op = o.op;
      rest.remove_prefix(o.text.size());
      break;
    }
  }
  if (cond.op == 0) {
    return InvalidArgument("bad filter '{}': unknown operator (== != < <= > >=)", text);
  }
  std::string_view value = Trim(rest);
  if (cond.field == GOTAP_FF_DURATION) {
    auto ns = ParseNanoseconds(value);
    if (!ns.ok()) return InvalidArgument("bad filter '{}': {}", text, ns.status().message());
    cond.value = *ns;
    return cond;
  }
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), cond.value);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
    return InvalidArgument("bad filter '{}': '{}' is not an unsigned integer", text, value);
  }
  return cond;
}

}  // namespace

StatusOr<std::vector<gotap_filter_cond>> ParseFilter(std::string_view text) {
  std::vector<gotap_filter_cond> out;
  while (true) {
    size_t and_at = text.find("&&");
    ASSIGN_OR_RETURN(gotap_filter_cond cond, ParseCondition(text.substr(0, and_at)));
    out.push_back(cond);
    if (and_at == std::string_view::npos) break;
    text.remove_prefix(and_at + 2);
  }
  return out;
}

std::string FormatFilter(const std::vector<gotap_filter_cond>& conditions) {
  std::string out;
  for (const gotap_filter_cond& c : conditions) {
    std::string_view field = "?", op = "?";
    for (const FieldName& f : kFields) {
      if (f.field == c.field) {
        field = f.name;
        break;
      }
    }
    for (const OpName& o : kOps) {
      if (o.op == c.op) op = o.text;
    }
    out += fmt::format("{}{}{}{}{}", out.empty() ? "" : " && ", field, op, c.value,
                       c.field == GOTAP_FF_DURATION ? "ns" : "");
  }
  return out;
}

}  // namespace gotap::trace
