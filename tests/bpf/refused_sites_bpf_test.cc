// Live tests of sites the kernel refuses to probe: arch::X86UprobeRefusal against the running
// kernel's verdicts, bpf::FindRefusedSites, and Session::AttachDroppingRefused attaching the
// rest of a trace when one function's site is refused.
#include <bpf/bpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "arch/uprobe_check.h"
#include "arch/x86_decoder.h"
#include "bpf/call_record.h"
#include "bpf/session.h"
#include "bpf/uprobe_links.h"
#include "fixture_process.h"
#include "go_sites.h"
#include "test_macros.h"
#include "trace_harness.h"

namespace gotap::bpf::testing {
namespace {

constexpr int kEnotsupp = 524;  // the kernel-internal errno for an instruction it cannot probe
constexpr size_t kSlot = 32;    // bytes per encoding in the code file

// Encodings worth asking the kernel about: every one-byte opcode plain, behind REX.W, the
// operand-size and lock prefixes, and as the opcode of a VEX instruction; every two-byte opcode,
// plain and behind 66. Each is followed by zero bytes (ModRM 00, zero displacement/immediates).
std::vector<std::vector<uint8_t>> Encodings() {
  std::vector<std::vector<uint8_t>> candidates;
  for (int i = 0; i < 256; ++i) {
    const auto op = static_cast<uint8_t>(i);
    candidates.push_back({op});
    candidates.push_back({0x48, op});
    candidates.push_back({0x66, op});
    candidates.push_back({0xf0, op});
    candidates.push_back({0x2e, op});
    candidates.push_back({0x0f, op});
    candidates.push_back({0x66, 0x0f, op});
  }
  candidates.push_back({0x8e, 0xd0});  // mov ss, eax
  candidates.push_back({0x8e, 0xd8});  // mov ds, eax
  candidates.push_back({0xcd, 0x03});  // int 3, as in runtime.abort
  // VEX (c5, F3 prefix, map 0F): defined opcodes only, the kernel's decoder refuses undefined
  // ones with ENOEXEC. 6f and 7f (vmovdqu) are refused as ENOTSUPP, the others accepted.
  for (uint8_t op : {0x10, 0x11, 0x12, 0x16, 0x2a, 0x2c, 0x2d, 0x51, 0x52, 0x53, 0x58, 0x59,
                     0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x6f, 0x70, 0x7e, 0x7f, 0xc2, 0xe6}) {
    candidates.push_back({0xc5, 0xfe, op});
  }
  // Only what gotap's decoder measures: the kernel's decoder refuses invalid encodings with
  // ENOEXEC, which X86UprobeRefusal does not predict (compiled code never holds them).
  std::vector<std::vector<uint8_t>> out;
  for (auto& c : candidates) {
    // Without REX, c4/c5/62/d5 start VEX/EVEX/REX2 prefixes: zeros after them are undefined.
    uint8_t lead = c[0] == 0x66 && c.size() > 1 ? c[1] : c[0];
    if (lead == 0xc4 || lead == 0xc5 || lead == 0x62 || lead == 0xd5) {
      if (c.size() < 3) continue;
    }
    std::vector<uint8_t> padded = c;
    padded.resize(kSlot, 0);
    if (arch::x86::Decode(Bytes(padded)).length > 0) out.push_back(std::move(c));
  }
  return out;
}

std::string Hex(const std::vector<uint8_t>& bytes) {
  std::string out;
  for (uint8_t b : bytes) out += fmt::format("{}{:02x}", out.empty() ? "" : " ", b);
  return out;
}

// A file of encodings, kSlot bytes apart, mapped executable into this process: the kernel checks
// a uprobe's instruction when it installs the breakpoint into a process that maps the file.
class CodeFile {
 public:
  explicit CodeFile(const std::vector<std::vector<uint8_t>>& encodings)
      : path_(FixturePath("refused_sites_code.bin")) {
    std::vector<uint8_t> bytes(encodings.size() * kSlot + 4096, 0);
    for (size_t i = 0; i < encodings.size(); ++i) {
      std::copy(encodings[i].begin(), encodings[i].end(), bytes.begin() + i * kSlot);
    }
    size_ = bytes.size();
    int fd = open(path_.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0755);
    if (fd < 0) return;
    bool written = write(fd, bytes.data(), size_) == static_cast<ssize_t>(size_);
    if (written) map_ = mmap(nullptr, size_, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    close(fd);
  }
  ~CodeFile() {
    if (map_ != MAP_FAILED) munmap(map_, size_);
    unlink(path_.c_str());
  }
  bool ok() const { return map_ != MAP_FAILED; }
  const std::string& path() const { return path_; }
  Bytes bytes() const { return Bytes(static_cast<const uint8_t*>(map_), size_); }

 private:
  std::string path_;
  size_t size_ = 0;
  void* map_ = MAP_FAILED;
};

// Each link creation that installs or refuses a breakpoint costs the kernel a grace period
// (50-75 ms in this VM): so predicted refusals are checked with one link each (all one-byte
// opcodes and a sample of the rest), and every predicted acceptance together in one link.
TEST(RefusedSitesBpfTest, PredictionMatchesTheKernel) {
  std::vector<std::vector<uint8_t>> encodings = Encodings();
  CodeFile code(encodings);
  ASSERT_TRUE(code.ok()) << code.path();
  ScopedFd prog(LoadNoopUprobeMultiProgram());
  ASSERT_TRUE(prog.valid());
  std::vector<uint64_t> accepted;
  size_t refused = 0;
  for (size_t i = 0; i < encodings.size(); ++i) {
    uint64_t offset = i * kSlot;
    auto prediction = arch::X86UprobeRefusal(code.bytes().subspan(offset, kSlot));
    if (!prediction) {
      accepted.push_back(offset);
      continue;
    }
    // A failed link costs a grace period too (~50 ms): check every one-byte opcode, and a
    // sample of the prefixed and VEX forms.
    if (refused++ % 16 != 0 && encodings[i].size() != 1) continue;
    uint64_t cookie = 0;
    LinkAttempt one = TryUprobeMultiLink(prog.get(), code.path(), std::span(&offset, 1),
                                         std::span(&cookie, 1), getpid());
    EXPECT_EQ(one.error, kEnotsupp) << "encoding #" << i << " (" << Hex(encodings[i])
                                    << "): predicted refused: " << *prediction;
  }
  // The set is not trivial either way: hundreds refused, hundreds accepted.
  EXPECT_GT(refused, 300u);
  EXPECT_GT(accepted.size(), 300u);
  // Every predicted acceptance in one link.
  std::vector<uint64_t> cookies(accepted.size(), 0);
  LinkAttempt all = TryUprobeMultiLink(prog.get(), code.path(), accepted, cookies, getpid());
  if (all.link.valid()) return;
  ADD_FAILURE() << "a link of every predicted acceptance fails: " << UprobeErrnoText(all.error);
  ASSERT_OK_AND_ASSIGN(std::vector<RefusedSite> wrong,
                       FindRefusedSites(code.path(), accepted, getpid(), 16));
  for (const RefusedSite& r : wrong) {
    size_t i = r.file_offset / kSlot;
    ADD_FAILURE() << "encoding #" << i << " (" << Hex(encodings[i])
                  << "): predicted accepted, the kernel says " << UprobeErrnoText(r.error);
  }
}

TEST(RefusedSitesBpfTest, RefusedFunctionIsDroppedAndTheRestIsTraced) {
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create());
  ASSERT_EQ(session.attach_mode(), AttachMode::kUprobeMulti);
  std::string bin = FixturePath("adder.default");
  ASSERT_OK_AND_ASSIGN(FunctionSites add, FindFunctionSites(bin, "main.add"));
  // runtime.abort starts with `int 3` (cd 03), which the kernel refuses (ENOTSUPP).
  ASSERT_OK_AND_ASSIGN(FunctionSites abort, FindFunctionSites(bin, "runtime.abort"));
  ASSERT_OK_AND_ASSIGN(FunctionSites add_stack, FindFunctionSites(bin, "main.main"));
  SiteList sites;
  ASSERT_OK(AddTracedFunction(session, sites, 1, add, add.after_check));
  const size_t add_sites = sites.offsets.size();
  // Function 2: a valid site first, then the refused one; both must be left out.
  ASSERT_OK_AND_ASSIGN(gotap_site_spec spec, MakeSiteSpec(2, GOTAP_SITE_COUNT, Go119Layout()));
  std::vector<gotap_site_spec> specs{spec, spec};
  ASSERT_OK_AND_ASSIGN(uint64_t first, session.AddSites(specs));
  sites.offsets.push_back(add_stack.after_check);
  sites.cookies.push_back(first);
  sites.offsets.push_back(abort.entry);
  sites.cookies.push_back(first + 1);
  std::vector<uint32_t> groups(add_sites, 1);
  groups.push_back(2);
  groups.push_back(2);

  ASSERT_OK_AND_ASSIGN(FixtureProcess adder, FixtureProcess::Start(bin, {"-n", "1000"}));
  // All-or-nothing Attach fails and names the refused site.
  Status whole = session.Attach(bin, sites.offsets, sites.cookies, adder.pid());
  ASSERT_FALSE(whole.ok());
  EXPECT_NE(whole.message().find(fmt::format("{:#x}", abort.entry)), std::string::npos)
      << whole.ToString();
  EXPECT_EQ(session.attached_sites(), 0u);

  AttachReport report;
  ASSERT_OK(session.AttachDroppingRefused(bin, sites.offsets, sites.cookies, adder.pid(), groups,
                                          &report));
  ASSERT_EQ(report.refused.size(), 1u);
  EXPECT_EQ(report.refused[0].index, add_sites + 1);
  EXPECT_EQ(report.refused[0].file_offset, abort.entry);
  EXPECT_EQ(report.refused[0].error, kEnotsupp);
  EXPECT_NE(report.refused[0].reason.find("ENOTSUPP"), std::string::npos);
  EXPECT_EQ(report.dropped, (std::vector<size_t>{add_sites, add_sites + 1}));
  EXPECT_EQ(session.attached_sites(), add_sites);

  ASSERT_OK(adder.Release());
  size_t add_calls = 0, others = 0;
  auto keep = [&](Bytes raw) {
    auto view = ParseCallRecord(raw);
    ASSERT_TRUE(view.ok()) << view.status().ToString();
    (view->header.func_id == 1 && view->header.flags == GOTAP_REC_COMPLETE ? add_calls : others)++;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!adder.TryWait()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    ASSERT_TRUE(session.Poll(std::chrono::milliseconds(20), keep).ok());
  }
  while (*session.Poll(std::chrono::milliseconds(0), keep) > 0) {
  }
  EXPECT_EQ(add_calls, 1000u);
  EXPECT_EQ(others, 0u);
  ASSERT_OK_AND_ASSIGN(std::vector<uint64_t> counts, session.ReadFuncCounts());
  EXPECT_EQ(counts.at(2), 0u) << "the dropped function's valid site must not be attached";
}

TEST(RefusedSitesBpfTest, NormalAttachNeedsNoReport) {
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create());
  std::string bin = FixturePath("adder.default");
  ASSERT_OK_AND_ASSIGN(FunctionSites add, FindFunctionSites(bin, "main.add"));
  SiteList sites;
  ASSERT_OK(AddTracedFunction(session, sites, 1, add, add.after_check));
  std::vector<uint32_t> groups(sites.offsets.size(), 1);
  AttachReport report;
  report.dropped.push_back(99);  // stale content must be cleared
  ASSERT_OK(session.AttachDroppingRefused(bin, sites.offsets, sites.cookies, 0, groups, &report));
  EXPECT_TRUE(report.refused.empty());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(session.attached_sites(), sites.offsets.size());
  // Mismatched groups are the caller's bug.
  EXPECT_EQ(session
                .AttachDroppingRefused(bin, sites.offsets, sites.cookies, 0,
                                       std::span(groups).first(1), &report)
                .code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gotap::bpf::testing
