#include "decode/trace_context.h"

#include <algorithm>
#include <cstring>
#include <deque>

namespace gotap::decode {
namespace {

constexpr int kMaxNodes = 256;  // a walk writes at most GOTAP_IFACE_MAX_NODES; be generous

// The runtime's name of go.opentelemetry.io/otel/trace's key type for the current span (the
// package name, not its path: runtime type names carry no path). Its one value,
// currentSpanKey, is the only key of this type.
constexpr std::string_view kOtelSpanKeyType = "trace.traceContextKeyType";

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

// The ids must be copied whole (`f` lies inside the copy) and be arrays of `size` bytes.
bool CopyId(const IfaceNode& n, const RecipeField& f, uint8_t* out, uint64_t size) {
  if (f.kind != RtKind::kArray || f.size != size || f.offset > n.copy.size() ||
      n.copy.size() - f.offset < size) {
    return false;
  }
  std::memcpy(out, n.copy.data() + f.offset, size);
  return std::any_of(out, out + size, [](uint8_t b) { return b != 0; });
}

// The value of a context.valueCtx whose key is the OpenTelemetry trace package's span key:
// valueCtx's recipe children are {parent, key, val} (BuiltinShapes).
const IfaceNode* OtelSpanValue(const IfaceNode& n) {
  const ShapeRecipe* r = n.type != nullptr ? n.type->recipe : nullptr;
  if (r == nullptr || r->shape != Shape::kValueCtx) return nullptr;
  const IfaceNode* key = n.Child(1);
  if (key == nullptr || key->type == nullptr || key->type->name != kOtelSpanKeyType) return nullptr;
  return n.Child(2);
}

}  // namespace

std::optional<TraceParent> OtelSpanContext(const IfaceNode& span) {
  const ShapeRecipe* r = span.type != nullptr ? span.type->recipe : nullptr;
  if (r == nullptr || r->shape != Shape::kStruct || span.copy.size() != r->copy_len) {
    return std::nullopt;
  }
  for (const RecipeField& f : r->fields) {
    // recordingSpan also holds its parent's SpanContext (`parent`): the names pick its own.
    if ((f.name != "spanContext" && f.name != "sc") || f.type_name != "trace.SpanContext") {
      continue;
    }
    const RecipeField *trace = nullptr, *span_id = nullptr;
    for (const RecipeField& sub : f.fields) {
      if (sub.name == "traceID") trace = &sub;
      if (sub.name == "spanID") span_id = &sub;
    }
    TraceParent tp;
    tp.source = TraceSource::kOtelSpan;
    if (trace != nullptr && span_id != nullptr &&
        CopyId(span, *trace, tp.trace_id.data(), tp.trace_id.size()) &&
        CopyId(span, *span_id, tp.span_id.data(), tp.span_id.size())) {
      return tp;
    }
  }
  return std::nullopt;
}

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
  // the value the callee would see first. Both kinds are matched at the value's own node (one
  // level below its valueCtx), so that the innermost context wins whichever kind it holds.
  struct Pending {
    const IfaceNode* node;
    bool otel_span_slot;  // the value of a valueCtx keyed by the OpenTelemetry span key
  };
  std::deque<Pending> queue{{&ctx, false}};
  for (int seen = 0; !queue.empty() && seen < kMaxNodes; ++seen) {
    const auto [n, otel_span_slot] = queue.front();
    queue.pop_front();
    if (n->type != nullptr && n->type->kind == RtKind::kString && n->strings.size() == 1 &&
        !n->strings[0].read_failed && n->strings[0].bytes.size() == n->strings[0].length) {
      if (auto tp = ParseTraceParent(n->strings[0].bytes)) return tp;
    }
    if (otel_span_slot) {
      if (auto tp = OtelSpanContext(*n)) return tp;
    }
    const IfaceNode* span = OtelSpanValue(*n);
    for (const auto& [index, child] : n->children) queue.push_back({&child, &child == span});
  }
  return std::nullopt;
}

}  // namespace gotap::decode
