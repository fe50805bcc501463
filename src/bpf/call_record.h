// Reading the raw records the BPF program writes to the ring buffer (struct gotap_call_record
// followed by two capture areas). The kernel is trusted less than our own code: every length is
// checked against the bytes actually delivered.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"
#include "bpf/gotap_intf.h"
#include "bpf/gotap_ns.h"

namespace gotap::bpf {

// A record's header and views of its capture areas. The views point into the raw bytes and are
// valid only as long as those are (inside a Session::Poll callback, unless copied).
struct CallRecordView {
  gotap_call_record header{};
  Bytes args;                      // the entry site's capture area
  Bytes results;                   // the RET site's capture area; empty unless GOTAP_REC_COMPLETE
  std::optional<gotap_ns_set> ns;  // GOTAP_REC_NS: the emitting thread's namespaces

  std::string ToString() const;
};

// kMalformed when raw is shorter than the header or its stated area lengths.
StatusOr<CallRecordView> ParseCallRecord(Bytes raw);

struct CapturedValue {
  uint64_t raw = 0;  // the slot's `size` bytes, zero-extended
  bool has_data = false;
  Bytes data;  // the bytes copied through the pointer (deref slots); a view into the area
};

// Decodes a capture area written for `captures` (the same slots as the site's spec). A truncated
// area (GOTAP_REC_TRUNCATED) yields only the slots that fit; bytes left over are kMalformed.
StatusOr<std::vector<CapturedValue>> ParseCaptureArea(Bytes area,
                                                      std::span<const gotap_capture> captures);

// "COMPLETE|CAPTURE_FAULT"; unknown bits in hex.
std::string RecordFlagsToString(uint16_t flags);

}  // namespace gotap::bpf
