#include "trace_harness.h"

#include <chrono>
#include <cstring>

#include <gtest/gtest.h>

#include "bpf/call_record.h"
#include "fixture_process.h"

namespace gotap::bpf::testing {

std::string FixturePath(const std::string& name) {
  return std::string(GOTAP_FIXTURE_DIR) + "/" + name;
}

GoroutineLayout Go119Layout() {
  GoroutineLayout layout;
  layout.g_source = GOTAP_G_REG;
  layout.g_offset = *X86PtRegsOffset("r14");
  layout.goid_offset = 152;
  layout.stack_hi_offset = 8;
  return layout;
}

std::vector<CapturedValue> Parse(const std::vector<uint8_t>& area,
                                 const std::vector<gotap_capture>& slots) {
  auto values = ParseCaptureArea(Bytes(area.data(), area.size()), slots);
  if (!values.ok()) {
    ADD_FAILURE() << values.status().ToString();
    return {};
  }
  return *values;
}

gotap_capture IntRegister(int index) {
  static constexpr const char* kGoIntRegs[] = {"rax", "rbx", "rcx", "rdi", "rsi",
                                               "r8",  "r9",  "r10", "r11"};
  return CaptureRegister(*X86PtRegsOffset(kGoIntRegs[index]), 8);
}

std::vector<gotap_capture> StringInRegisters(int index, uint8_t first_slot, uint16_t max_len) {
  return {WithStringData(IntRegister(index), first_slot + 1, max_len), IntRegister(index + 1)};
}

Status AddTracedFunction(Session& session, SiteList& list, uint32_t func_id,
                         const FunctionSites& sites, uint64_t entry_offset,
                         std::vector<gotap_capture> args, std::vector<gotap_capture> results,
                         uint8_t entry_flags) {
  std::vector<gotap_site_spec> specs;
  ASSIGN_OR_RETURN(gotap_site_spec entry,
                   MakeSiteSpec(func_id, GOTAP_SITE_ENTRY, Go119Layout(), args, entry_flags));
  specs.push_back(entry);
  ASSIGN_OR_RETURN(gotap_site_spec ret,
                   MakeSiteSpec(func_id, GOTAP_SITE_RETURN, Go119Layout(), results));
  specs.push_back(ret);
  ASSIGN_OR_RETURN(uint64_t first, session.AddSites(specs));
  list.offsets.push_back(entry_offset);
  list.cookies.push_back(first);
  for (uint64_t offset : sites.returns) {
    list.offsets.push_back(offset);
    list.cookies.push_back(first + 1);
  }
  // A de-duplicated entry needs the morestack block's site to recognise the re-entry.
  if ((entry_flags & GOTAP_SITE_F_DEDUP) && sites.morestack != 0) {
    ASSIGN_OR_RETURN(gotap_site_spec morestack,
                     MakeSiteSpec(func_id, GOTAP_SITE_MORESTACK, Go119Layout(), {}));
    ASSIGN_OR_RETURN(uint64_t cookie, session.AddSites(std::span(&morestack, 1)));
    list.offsets.push_back(sites.morestack);
    list.cookies.push_back(cookie);
  }
  return Status::Ok();
}

StatusOr<TraceResult> TraceFixture(Session& session, const std::string& fixture,
                                   const std::vector<std::string>& args,
                                   const std::function<Status(pid_t)>& attach) {
  ASSIGN_OR_RETURN(FixtureProcess process, FixtureProcess::Start(FixturePath(fixture), args));
  RETURN_IF_ERROR(attach(process.pid()));
  RETURN_IF_ERROR(process.Release());
  TraceResult result;
  result.pid = process.pid();
  Status parse_error;
  auto keep = [&](Bytes raw) {
    auto view = ParseCallRecord(raw);
    if (!view.ok()) {
      parse_error = view.status();
      return;
    }
    result.records.push_back({view->header,
                              {view->args.begin(), view->args.end()},
                              {view->results.begin(), view->results.end()}});
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!process.TryWait()) {
    if (std::chrono::steady_clock::now() > deadline) return IoError("{} did not exit", fixture);
    RETURN_IF_ERROR(session.Poll(std::chrono::milliseconds(20), keep).status());
  }
  // Every record was written before the process could exit; empty the ring.
  while (true) {
    ASSIGN_OR_RETURN(int n, session.Poll(std::chrono::milliseconds(0), keep));
    if (n == 0) break;
  }
  RETURN_IF_ERROR(parse_error);
  result.wait_status = *process.TryWait();
  result.output = process.ReadOutput();
  ASSIGN_OR_RETURN(result.counters, session.ReadCounters());
  return result;
}

}  // namespace gotap::bpf::testing
