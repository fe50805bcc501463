#include "decode/trace_context.h"

#include <algorithm>
#include <deque>

namespace gotap::decode {
namespace {

constexpr int kMaxNodes = 256;  // a walk writes at most GOTAP_IFACE_MAX_NODES; be generous

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

template <size_t N>
bool ParseHex(std::string_view text, std::array<uint8_t, N>* out) {
  if (text.size() != 2 * N) return false;
  for (size_t i = 0; i < N; ++i) {
    int hi = HexDigit(text[2 * i]), lo = HexDigit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return std::any_of(out->begin(), out->end(), [](uint8_t b) { return b != 0; });
}

}  // namespace

std::optional<TraceParent> ParseTraceParent(std::string_view text) {
  // 00-{32}-{16}-{2}: 55 characters.
  if (text.size() != 55 || text.substr(0, 3) != "00-" || text[35] != '-' || text[52] != '-') {
    return std::nullopt;
  }
  TraceParent tp;
  if (!ParseHex(text.substr(3, 32), &tp.trace_id) || !ParseHex(text.substr(36, 16), &tp.span_id)) {
    return std::nullopt;
  }
  std::string_view f = text.substr(53, 2);
  if (HexDigit(f[0]) < 0 || HexDigit(f[1]) < 0) return std::nullopt;
  return tp;
}

std::optional<TraceParent> FindTraceParent(const IfaceNode& ctx) {
  // Breadth first: the chain runs from the innermost context outwards, so the first match is
  // the value the callee would see first.
  std::deque<const IfaceNode*> queue{&ctx};
  for (int seen = 0; !queue.empty() && seen < kMaxNodes; ++seen) {
    const IfaceNode* n = queue.front();
    queue.pop_front();
    if (n->type != nullptr && n->type->kind == RtKind::kString && n->strings.size() == 1 &&
        !n->strings[0].read_failed && n->strings[0].bytes.size() == n->strings[0].length) {
      if (auto tp = ParseTraceParent(n->strings[0].bytes)) return tp;
    }
    for (const auto& [index, child] : n->children) queue.push_back(&child);
  }
  return std::nullopt;
}

}  // namespace gotap::decode
