// gobin::Symbolizer on a whole file image: pc -> frames with file:line through the pclntab's file
// tables (cutab/filetab, read by the symbolizer itself), the pcfile/pcln/pcsp tables and the
// inline trees (read from gofunc or absolute addresses). binary_fuzzer covers Binary::Parse; this
// one covers what the symbolizer reads on top of it.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_checks.h"
#include "gobin/binary.h"
#include "gobin/symbolizer.h"

namespace gotap::fuzz {
namespace {

constexpr size_t kMaxFunctions = 64;  // functions symbolized per input
constexpr size_t kMaxFrames = 101;    // symbolizer.cc: at most 100 inlined frames, then the outer

void CheckFrames(Bytes input, const gobin::Binary& binary, const gobin::Symbolizer& symbolizer,
                 uint64_t pc) {
  const gobin::FuncRecord* func = binary.FunctionAt(pc);
  std::vector<gobin::SourceFrame> frames = symbolizer.FramesAt(pc);
  FUZZ_CHECK(frames.empty() == (func == nullptr));
  if (func == nullptr) return;
  FUZZ_CHECK(frames.size() <= kMaxFrames);
  FUZZ_CHECK(!frames.back().inlined);
  const std::string_view name = binary.Name(*func);
  FUZZ_CHECK(frames.back().function == (name.empty() ? "?" : name));
  for (size_t i = 0; i < frames.size(); ++i) {
    const gobin::SourceFrame& f = frames[i];
    FUZZ_CHECK(f.inlined == (i + 1 < frames.size()));
    FUZZ_CHECK(!f.function.empty());
    // Names and file names are views of the image (or the literal "?").
    if (f.function != "?") FUZZ_CHECK(Within(input, f.function));
    FUZZ_CHECK(Within(input, f.pos.file));
    Touch(f.function);
    Touch(f.pos.file);
    f.ToString();
  }
}

}  // namespace
}  // namespace gotap::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gotap;
  const Bytes input(data, size);
  auto parsed = gobin::Binary::Parse(input, "fuzz-input");
  if (!parsed.ok()) return 0;
  const gobin::Binary& binary = **parsed;
  auto symbolizer = gobin::Symbolizer::Create(binary);
  if (!symbolizer.ok()) return 0;

  size_t done = 0;
  for (const gobin::FuncRecord& func : binary.functions()) {
    if (done++ == fuzz::kMaxFunctions) break;
    const uint64_t mid = func.entry + (func.end - func.entry) / 2;
    for (uint64_t pc : {func.entry, mid, func.end - 1}) {
      fuzz::CheckFrames(input, binary, *symbolizer, pc);
      if (auto pos = symbolizer->PosAt(func, pc)) {
        FUZZ_CHECK(fuzz::Within(input, pos->file));
        fuzz::Touch(pos->file);
      }
      symbolizer->SpDeltaAt(func, pc);
      symbolizer->PcValueAt(func, 0, pc);
      symbolizer->PcValueAt(func, UINT32_MAX, pc);
    }
  }
  fuzz::CheckFrames(input, binary, *symbolizer, 0);
  fuzz::CheckFrames(input, binary, *symbolizer, UINT64_MAX);
  return 0;
}
