// Inline trees read at a wrong base must come out as skipped trees, never as names: the failure
// users saw on Go 1.27, where the funcdata base was misread and ~1,900 garbage "functions"
// (`\x01`, `).unlock`) were listed. Simulated by pointing moduledata's gofunc word elsewhere.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "../go_symbol_oracle.h"
#include "gobin/binary.h"
#include "gobin/symbol_name.h"
#include "test_paths.h"

namespace gotap::gobin {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(IsGoSymbolName, AcceptsWhatToolchainsWriteRejectsMisreads) {
  for (const char* name : {"main.main", "main.(*Store).Get", "_rt0_amd64_linux",
                           "type:.eq.struct { a int; b string }", "go:struct { io.Reader }.Read",
                           "slices.Index[go.shape.interface {}]", "main.Sum[...]", "日本.f"}) {
    EXPECT_TRUE(IsGoSymbolName(name)) << name;
  }
  for (const char* name : {"", "\x01", ").unlock", ",interface {}]]).CompareAndSwap", "main.f g",
                           "main.(*T.M", "main.f]", "\xff\xfe", ".x", "a\tb"}) {
    EXPECT_FALSE(IsGoSymbolName(name)) << testing::AsJsonText(name);
  }
}

class WrongFuncdataBaseTest : public ::testing::TestWithParam<std::string> {};

TEST_P(WrongFuncdataBaseTest, TreesAreSkippedNotMisread) {
  std::string path = testing::FixturePath(GetParam());
  std::string bytes = ReadAll(path);
  auto original = Binary::Open(path);
  ASSERT_TRUE(original.ok()) << original.status().ToString();
  const auto& md = (*original)->moduledata();
  ASSERT_TRUE(md && md->gofunc) << "no funcdata base found";
  ASSERT_EQ((*original)->inlines().skipped_functions(), 0u);
  ASSERT_GT((*original)->inlines().inlined_only().size(), 100u);
  // Find the gofunc word in moduledata's bytes and point it at the start of the code and of the
  // read-only data in turn: plausible addresses holding no inline trees.
  const elf::Section* module = (*original)->elf().FindSection(".go.module");
  ASSERT_NE(module, nullptr);
  uint64_t word_at = 0;
  for (uint64_t at = module->offset; at + 8 <= module->offset + module->size; at += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + at, 8);
    if (word == *md->gofunc) word_at = at;
  }
  ASSERT_NE(word_at, 0u);
  for (const char* section : {".text", ".rodata"}) {
    SCOPED_TRACE(section);
    const elf::Section* target = (*original)->elf().FindSection(section);
    ASSERT_NE(target, nullptr);
    std::string patched = bytes;
    std::memcpy(patched.data() + word_at, &target->vaddr, 8);
    Bytes image(reinterpret_cast<const uint8_t*>(patched.data()), patched.size());
    auto binary = Binary::Parse(image, path);
    ASSERT_TRUE(binary.ok()) << binary.status().ToString();
    const InlineIndex& inlines = (*binary)->inlines();
    EXPECT_GT(inlines.skipped_functions(), 1000u);
    EXPECT_FALSE(inlines.first_skip_reason().ok());
    for (std::string_view name : inlines.inlined_only()) {
      EXPECT_EQ(testing::WhyNotGoSymbol(std::string(name)), "")
          << testing::AsJsonText(std::string(name));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Go127, WrongFuncdataBaseTest,
                         ::testing::Values("model-go1.27.stripped", "model-go1.27.pie"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             c = isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace gotap::gobin
