// Unprivileged tests of the userspace side of the BPF contract: record and capture-area parsing
// and site-spec validation. They run with the live tests (label "bpf") but need no root.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "bpf/call_record.h"
#include "bpf/site_spec.h"
#include "test_macros.h"

namespace gotap::bpf {
namespace {

std::vector<uint8_t> Record(const gotap_call_record& h, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> raw(sizeof(h) + body.size());
  std::memcpy(raw.data(), &h, sizeof(h));
  if (!body.empty()) std::memcpy(raw.data() + sizeof(h), body.data(), body.size());
  return raw;
}

TEST(CallRecordTest, SplitsTheAreas) {
  gotap_call_record h{};
  h.func_id = 3;
  h.args_len = 2;
  h.results_len = 1;
  std::vector<uint8_t> raw = Record(h, {1, 2, 3});
  ASSERT_OK_AND_ASSIGN(CallRecordView view, ParseCallRecord(raw));
  EXPECT_EQ(view.header.func_id, 3u);
  EXPECT_EQ(std::vector<uint8_t>(view.args.begin(), view.args.end()), (std::vector<uint8_t>{1, 2}));
  EXPECT_EQ(std::vector<uint8_t>(view.results.begin(), view.results.end()),
            (std::vector<uint8_t>{3}));
}

TEST(CallRecordTest, RejectsShortRecords) {
  gotap_call_record h{};
  h.args_len = 8;
  std::vector<uint8_t> raw = Record(h, {1, 2, 3});
  EXPECT_EQ(ParseCallRecord(raw).status().code(), StatusCode::kMalformed);
  raw.resize(10);
  EXPECT_EQ(ParseCallRecord(raw).status().code(), StatusCode::kMalformed);
}

TEST(CallRecordTest, DecodesValuesAndCopiedBytes) {
  std::vector<gotap_capture> slots = {WithStringData(CaptureRegister(80, 8), 1, 16),
                                      CaptureRegister(40, 8), CaptureStack(8, 2)};
  std::vector<uint8_t> area = {0x10, 0x20, 0,   0, 0, 0, 0, 0,  // pointer
                               3,    0,                         // 3 bytes copied
                               'a',  'b',  'c',                 // the string
                               3,    0,    0,   0, 0, 0, 0, 0,  // length
                               0x34, 0x12};                     // 2-byte stack value
  ASSERT_OK_AND_ASSIGN(std::vector<CapturedValue> values,
                       ParseCaptureArea(Bytes(area.data(), area.size()), slots));
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values[0].raw, 0x2010u);
  ASSERT_TRUE(values[0].has_data);
  EXPECT_EQ(std::string(values[0].data.begin(), values[0].data.end()), "abc");
  EXPECT_EQ(values[1].raw, 3u);
  EXPECT_FALSE(values[1].has_data);
  EXPECT_EQ(values[2].raw, 0x1234u);

  // A truncated area ends between slots; one that ends inside a slot is malformed.
  std::vector<uint8_t> cut(area.begin(), area.begin() + 13);
  ASSERT_OK_AND_ASSIGN(values, ParseCaptureArea(Bytes(cut.data(), cut.size()), slots));
  EXPECT_EQ(values.size(), 1u);
  cut.resize(12);
  EXPECT_EQ(ParseCaptureArea(Bytes(cut.data(), cut.size()), slots).status().code(),
            StatusCode::kMalformed);
  area.push_back(0);
  EXPECT_EQ(ParseCaptureArea(Bytes(area.data(), area.size()), slots).status().code(),
            StatusCode::kMalformed);
}

TEST(CallRecordTest, FlagNames) {
  EXPECT_EQ(RecordFlagsToString(GOTAP_REC_COMPLETE | GOTAP_REC_TRUNCATED), "COMPLETE|TRUNCATED");
  EXPECT_EQ(RecordFlagsToString(0), "0");
  EXPECT_EQ(RecordFlagsToString(0x8000), "0x8000");
}

TEST(SiteSpecTest, PtRegsOffsets) {
  EXPECT_EQ(X86PtRegsOffset("r15"), 0);
  EXPECT_EQ(X86PtRegsOffset("r14"), 8);
  EXPECT_EQ(X86PtRegsOffset("rax"), 80);
  EXPECT_EQ(X86PtRegsOffset("rsp"), 152);
  EXPECT_EQ(X86PtRegsOffset("xmm0"), std::nullopt);
}

TEST(SiteSpecTest, ValidatesWhatTheProgramWouldMisread) {
  GoroutineLayout layout;
  EXPECT_TRUE(MakeSiteSpec(1, GOTAP_SITE_ENTRY, layout, {{CaptureRegister(80, 8)}}).ok());
  auto rejects = [&](std::vector<gotap_capture> captures) {
    return MakeSiteSpec(1, GOTAP_SITE_ENTRY, layout, captures).status().code() ==
           StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(rejects({CaptureRegister(81, 8)}));                        // not a slot
  EXPECT_TRUE(rejects({CaptureRegister(168, 8)}));                       // past pt_regs
  EXPECT_TRUE(rejects({CaptureStack(8, 3)}));                            // odd size
  EXPECT_TRUE(rejects({WithStringData(CaptureRegister(80, 8), 0, 8)}));  // its own length
  EXPECT_TRUE(rejects({WithStringData(CaptureRegister(80, 8), 5, 8)}));  // no such slot
  EXPECT_TRUE(rejects({WithBytes(CaptureStack(8, 4), 8)}));              // a pointer is 8 bytes
  EXPECT_TRUE(rejects(std::vector<gotap_capture>(GOTAP_MAX_CAPTURES + 1, CaptureStack(8, 8))));
  gotap_site_spec count = *MakeSiteSpec(4096, GOTAP_SITE_COUNT, layout);
  EXPECT_EQ(ValidateSiteSpec(count, 4096).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateSiteSpec(count, 4097).ok());
  gotap_site_spec ret = *MakeSiteSpec(1, GOTAP_SITE_RETURN, layout);
  ret.flags = GOTAP_SITE_F_DEDUP;
  EXPECT_FALSE(ValidateSiteSpec(ret, 1).ok());
  layout.g_source = 7;
  EXPECT_FALSE(MakeSiteSpec(1, GOTAP_SITE_ENTRY, layout).ok());
}

}  // namespace
}  // namespace gotap::bpf
