// Helpers shared by the live BPF tests: run a fixture under a Session and collect its records.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "bpf/call_record.h"
#include "bpf/gotap_intf.h"
#include "bpf/session.h"
#include "bpf/site_spec.h"
#include "go_sites.h"

namespace gotap::bpf::testing {

std::string FixturePath(const std::string& name);  // ${GOTAP_FIXTURE_DIR}/name

// Go 1.19 on amd64 (the fixtures' toolchain): g in R14, goid at 152, stack.hi at 8.
GoroutineLayout Go119Layout();

// A record copied out of the ring.
struct OwnedRecord {
  gotap_call_record header{};
  std::vector<uint8_t> args;
  std::vector<uint8_t> results;
};

// Sites to attach in one binary: offsets[i] fires with cookies[i].
struct SiteList {
  std::vector<uint64_t> offsets;
  std::vector<uint64_t> cookies;
};

// Adds one entry site at `entry_offset` (a file offset) and one RETURN site per RET in `sites`
// for function func_id, capturing `args` at the entry and `results` at each RET.
Status AddTracedFunction(Session& session, SiteList& list, uint32_t func_id,
                         const FunctionSites& sites, uint64_t entry_offset,
                         std::vector<gotap_capture> args = {},
                         std::vector<gotap_capture> results = {}, uint8_t entry_flags = 0);

struct TraceResult {
  pid_t pid = -1;
  std::vector<OwnedRecord> records;
  int wait_status = -1;
  std::string output;  // the fixture's stdout after "ready"
  Counters counters;
};

// Starts `fixture -wait args...`, calls attach(pid) while it waits, releases it, reads records
// until it has exited and the ring is empty (at most 120 s).
StatusOr<TraceResult> TraceFixture(Session& session, const std::string& fixture,
                                   const std::vector<std::string>& args,
                                   const std::function<Status(pid_t)>& attach);

// Decodes a capture area written for `slots`; a decoding error fails the test and yields {}.
std::vector<CapturedValue> Parse(const std::vector<uint8_t>& area,
                                 const std::vector<gotap_capture>& slots);

// Capture slots for Go ABIInternal register words (amd64: RAX RBX RCX RDI RSI R8 R9 R10 R11).
gotap_capture IntRegister(int index);
// A Go string in integer registers index, index+1: data copied (up to max_len), then length.
std::vector<gotap_capture> StringInRegisters(int index, uint8_t first_slot, uint16_t max_len);

}  // namespace gotap::bpf::testing
