// gobin::Pclntab on a raw table (the bytes of a `.gopclntab` section), then every function:
// name, pcdata/funcdata lookups and a walk of its pcsp and inline-tree pc-value tables.
#include <cstddef>
#include <cstdint>

#include "fuzz_checks.h"
#include "gobin/pclntab.h"

namespace gotap::fuzz {
namespace {

// Where the table pretends to be linked, and the text base used when its header holds none.
constexpr uint64_t kTableVaddr = 0x4e0f80;
constexpr uint64_t kTextStart = 0x401000;

// Walks one pc-value table: the runs must tile [entry, end of the walk) in order and stay
// inside the function, whether or not the walk ends well.
void WalkPcValues(const gobin::Pclntab& tab, const gobin::FuncRecord& func, uint32_t offset) {
  uint64_t expected_start = func.entry;
  tab.ForEachPcValue(func, offset, [&](uint64_t start, uint64_t end, int32_t) {
    FUZZ_CHECK(start == expected_start);
    FUZZ_CHECK(start <= end && end <= func.end);
    expected_start = end;
  });
}

}  // namespace
}  // namespace gotap::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gotap;
  using gobin::Pclntab;
  const Bytes input(data, size);
  const bool looks_like_header = Pclntab::LooksLikeHeader(input);
  // First as a table that carries its own text base; Go >= 1.26 tables (textStart 0) need one.
  auto parsed = Pclntab::Parse(input, fuzz::kTableVaddr, 0);
  if (!parsed.ok()) parsed = Pclntab::Parse(input, fuzz::kTableVaddr, fuzz::kTextStart);
  if (!parsed.ok()) return 0;
  FUZZ_CHECK(looks_like_header);
  const Pclntab& tab = *parsed;
  gobin::PclntabVersionName(tab.version());
  FUZZ_CHECK(tab.ptr_size() == 8);

  uint64_t previous_entry = 0;
  for (const gobin::FuncRecord& func : tab.functions()) {
    FUZZ_CHECK(func.entry >= previous_entry);  // sorted by entry
    FUZZ_CHECK(func.entry <= func.end);
    previous_entry = func.entry;
    FUZZ_CHECK(fuzz::Within(input, func.name));
    fuzz::Touch(func.name);
    if (auto pcsp = tab.PcspOffset(func)) fuzz::WalkPcValues(tab, func, *pcsp);
    for (int index = 0; index < 4; ++index) {
      auto pcdata = tab.PcdataOffset(func, index);
      if (pcdata && index == gobin::kPcdataInlTreeIndex) fuzz::WalkPcValues(tab, func, *pcdata);
    }
    for (int index = -1; index < 8; ++index) tab.Funcdata(func, index);
    tab.PcdataOffset(func, -1);
    tab.PcdataOffset(func, 1 << 30);
  }
  tab.FuncName(0);
  tab.FuncName(-1);
  tab.FuncName(INT32_MAX);
  return 0;
}
