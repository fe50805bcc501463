// Inputs the fuzzers found (tests/data/fuzz-regressions): each once read out of bounds or
// overflowed. Parsing them must fail or succeed cleanly, and walking every table must stay
// inside the input (the ASan build of the fuzzers checks the same inputs byte by byte).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "gobin/pclntab.h"

namespace gotap::gobin {
namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(FuzzRegressions, PclntabInputsParseOrFailCleanly) {
  std::filesystem::path dir =
      std::filesystem::path(GOTAP_SOURCE_DIR) / "tests/data/fuzz-regressions";
  size_t inputs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".tab") continue;
    ++inputs;
    std::string bytes = ReadAll(entry.path());
    Bytes data(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (bytes.size() < 8) EXPECT_FALSE(Pclntab::LooksLikeHeader(data)) << entry.path();
    auto tab = Pclntab::Parse(data, 0x400000, 0x401000);
    if (!tab.ok()) continue;
    for (const FuncRecord& f : tab->functions()) {
      auto count = [&](uint64_t start, uint64_t end, int32_t) {
        EXPECT_LE(f.entry, start);
        EXPECT_LE(start, end);
        EXPECT_LE(end, f.end);
      };
      if (auto pcsp = tab->PcspOffset(f)) tab->ForEachPcValue(f, *pcsp, count);
      if (auto inl = tab->PcdataOffset(f, kPcdataInlTreeIndex)) tab->ForEachPcValue(f, *inl, count);
    }
  }
  EXPECT_GE(inputs, 4u);
}

}  // namespace
}  // namespace gotap::gobin
