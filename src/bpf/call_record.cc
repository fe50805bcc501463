#include "bpf/call_record.h"

#include <cstring>

#include <fmt/ranges.h>

namespace gotap::bpf {

StatusOr<CallRecordView> ParseCallRecord(Bytes raw) {
  CallRecordView view;
  if (raw.size() < sizeof(gotap_call_record)) {
    return Malformed("record of {} bytes; the header alone has {}", raw.size(),
                     sizeof(gotap_call_record));
  }
  std::memcpy(&view.header, raw.data(), sizeof(gotap_call_record));
  size_t body = raw.size() - sizeof(gotap_call_record);
  size_t args = view.header.args_len, results = view.header.results_len;
  size_t ns = (view.header.flags & GOTAP_REC_NS) ? sizeof(gotap_ns_set) : 0;
  if (args > GOTAP_AREA_MAX || results > GOTAP_AREA_MAX || args + results + ns > body) {
    return Malformed("record areas of {}+{}+{} bytes in {} bytes", args, results, ns, body);
  }
  view.args = raw.subspan(sizeof(gotap_call_record), args);
  view.results = raw.subspan(sizeof(gotap_call_record) + args, results);
  if (ns) {
    gotap_ns_set set{};
    std::memcpy(&set, raw.data() + sizeof(gotap_call_record) + args + results, sizeof(set));
    view.ns = set;
  }
  return view;
}

StatusOr<std::vector<CapturedValue>> ParseCaptureArea(Bytes area,
                                                      std::span<const gotap_capture> captures) {
  ByteReader reader(area);
  std::vector<CapturedValue> values;
  uint64_t pos = 0;
  for (const gotap_capture& c : captures) {
    if (pos == area.size()) break;  // truncated: the remaining slots did not fit
    if (c.size == 0 || c.size > 8) return Malformed("capture slot of size {}", c.size);
    CapturedValue v;
    for (int i = c.size - 1; i >= 0; --i) {
      auto byte = reader.U8(pos + i);
      if (!byte) return Malformed("capture area ends inside a {}-byte value", c.size);
      v.raw = (v.raw << 8) | *byte;
    }
    pos += c.size;
    if (c.deref != GOTAP_DEREF_NONE) {
      auto n = reader.U16(pos);
      if (!n) return Malformed("capture area ends before a byte count");
      auto data = reader.Sub(pos + 2, *n);
      if (!data) return Malformed("capture area ends inside {} copied bytes", *n);
      v.has_data = true;
      v.data = *data;
      pos += 2 + *n;
    }
    values.push_back(v);
  }
  if (pos != area.size()) {
    return Malformed("{} bytes left over after {} capture slots", area.size() - pos, values.size());
  }
  return values;
}

std::string RecordFlagsToString(uint16_t flags) {
  static constexpr std::pair<uint16_t, const char*> kNames[] = {
      {GOTAP_REC_COMPLETE, "COMPLETE"},
      {GOTAP_REC_UNWOUND, "UNWOUND"},
      {GOTAP_REC_ENTRY_ONLY, "ENTRY_ONLY"},
      {GOTAP_REC_ARGS_MISSING, "ARGS_MISSING"},
      {GOTAP_REC_CAPTURE_FAULT, "CAPTURE_FAULT"},
      {GOTAP_REC_TRUNCATED, "TRUNCATED"},
      {GOTAP_REC_OPEN, "OPEN"},
      {GOTAP_REC_NS, "NS"}};
  std::vector<std::string> parts;
  for (auto [bit, name] : kNames) {
    if (flags & bit) {
      parts.push_back(name);
      flags &= ~bit;
    }
  }
  if (flags) parts.push_back(fmt::format("{:#x}", flags));
  return parts.empty() ? "0" : fmt::format("{}", fmt::join(parts, "|"));
}

std::string CallRecordView::ToString() const {
  const gotap_call_record& h = header;
  return fmt::format(
      "func={} goid={} tgid={} tid={}->{} level={} depth={} entry={} dur={}ns flags={} "
      "args={}B results={}B",
      h.func_id, h.goid, h.tgid, h.entry_tid, h.return_tid, h.level, h.depth, h.entry_ns,
      h.duration_ns, RecordFlagsToString(h.flags), args.size(), results.size());
}

}  // namespace gotap::bpf
