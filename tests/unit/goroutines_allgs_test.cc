// Finding runtime.allgs without symbols, from the code of runtime.allgadd, checked against the
// symbol table of an unstripped build and against runtime.forEachG where the version has it.
#include <elf.h>

#include <gtest/gtest.h>

#include "gobin/binary.h"
#include "goroutines/allgs.h"
#include "test_paths.h"

namespace gotap::goroutines {
namespace {

std::unique_ptr<gobin::Binary> Open(const std::string& path) {
  auto b = gobin::Binary::Open(path);
  EXPECT_TRUE(b.ok()) << path << ": " << b.status().ToString();
  return b.ok() ? std::move(b).value() : nullptr;
}

// allgs from runtime.allgadd's code, searching the whole address space.
StatusOr<uint64_t> FromCode(const gobin::Binary& binary) {
  auto funcs = binary.FindFunctions("runtime.allgadd");
  if (funcs.empty()) return NotFound("no runtime.allgadd");
  return FindSliceReferencedByCode(funcs[0]->entry, *binary.Code(*funcs[0]), 0, UINT64_MAX);
}

TEST(GoroutinesAllgs, CodeAgreesWithSymtab) {
  for (const char* name : {"gstates.default", "gstates.pie"}) {
    auto binary = Open(testing::FixturePath(name));
    ASSERT_NE(binary, nullptr);
    const elf::Symbol* sym = binary->elf().FindSymbol("runtime.allgs");
    ASSERT_NE(sym, nullptr) << name;
    auto located = LocateAllgs(*binary);
    ASSERT_TRUE(located.ok()) << located.status().ToString();
    EXPECT_STREQ(located->found_by, "symtab");
    EXPECT_EQ(located->vaddr, sym->value);
    auto code = FromCode(*binary);
    ASSERT_TRUE(code.ok()) << code.status().ToString();
    EXPECT_EQ(*code, sym->value) << name;
  }
}

TEST(GoroutinesAllgs, StrippedFixtureFoundInCode) {
  auto stripped = Open(testing::FixturePath("gstates.stripped"));
  auto full = Open(testing::FixturePath("gstates.default"));
  ASSERT_NE(stripped, nullptr);
  ASSERT_NE(full, nullptr);
  ASSERT_EQ(stripped->elf().FindSymbol("runtime.allgs"), nullptr);
  auto located = LocateAllgs(*stripped);
  ASSERT_TRUE(located.ok()) << located.status().ToString();
  EXPECT_STREQ(located->found_by, "code");
  // -s -w also records itself in the build info, so .rodata grows by a few bytes and, depending
  // on the checkout's path length, can push the data segment up a page. Within .bss the layout
  // is the full build's: compare offsets from the section start, not absolute addresses.
  const elf::Section* stripped_bss = stripped->elf().FindSection(".bss");
  const elf::Section* full_bss = full->elf().FindSection(".bss");
  ASSERT_NE(stripped_bss, nullptr);
  ASSERT_NE(full_bss, nullptr);
  ASSERT_GE(located->vaddr, stripped_bss->vaddr);
  EXPECT_EQ(located->vaddr - stripped_bss->vaddr,
            full->elf().FindSymbol("runtime.allgs")->value - full_bss->vaddr);
}

struct NpmCase {
  const char* package;
  bool has_for_each_g;  // runtime.forEachG exists from Go 1.17
};

TEST(GoroutinesAllgs, StrippedNpmBinaries) {
  for (NpmCase c : {NpmCase{"esbuild-linux-64@0.8.0", false},
                    {"esbuild-linux-64@0.8.57", false},
                    {"esbuild-linux-64@0.14.54", true},
                    {"@esbuild+linux-x64@0.20.2", true},
                    {"@esbuild+linux-x64@0.24.2", true}}) {
    SCOPED_TRACE(c.package);
    auto binary = Open(testing::NpmBinaryPath(c.package));
    ASSERT_NE(binary, nullptr);
    auto located = LocateAllgs(*binary);
    ASSERT_TRUE(located.ok()) << located.status().ToString();
    EXPECT_STREQ(located->found_by, "code");
    // In writable data (.bss: past the segment's file image), 8-byte aligned.
    bool in_writable = false;
    for (const elf::Segment& seg : binary->elf().segments()) {
      in_writable |= seg.type == PT_LOAD && (seg.flags & PF_W) && located->vaddr >= seg.vaddr &&
                     located->vaddr + 24 <= seg.vaddr + seg.mem_size;
    }
    EXPECT_TRUE(in_writable);
    EXPECT_EQ(located->vaddr % 8, 0u);
    // Another reader of the slice loads its pointer and length from the same place.
    auto for_each = binary->FindFunctions("runtime.forEachG");
    ASSERT_EQ(!for_each.empty(), c.has_for_each_g);
    if (for_each.empty()) continue;
    auto targets = RipRelativeTargets(for_each[0]->entry, *binary->Code(*for_each[0]));
    ASSERT_TRUE(targets.ok());
    EXPECT_TRUE(targets->count(located->vaddr));
    EXPECT_TRUE(targets->count(located->vaddr + 8));
  }
}

TEST(GoroutinesAllgs, Arm64StrippedIsUnsupported) {
  auto binary = Open(testing::NpmBinaryPath("@esbuild+linux-arm64@0.24.2"));
  ASSERT_NE(binary, nullptr);
  auto located = LocateAllgs(*binary);
  ASSERT_FALSE(located.ok());
  EXPECT_EQ(located.status().code(), StatusCode::kUnsupported);
}

TEST(GoroutinesAllgs, NoTripletNoSlice) {
  // mov rax, [rip+0x10]; mov rbx, [rip+0x10]: targets 0x1017 and 0x101e, not a slice.
  const uint8_t code[] = {0x48, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00,
                          0x48, 0x8b, 0x1d, 0x10, 0x00, 0x00, 0x00};
  auto targets = RipRelativeTargets(0x1000, Bytes(code, sizeof(code)));
  ASSERT_TRUE(targets.ok());
  EXPECT_EQ(*targets, (std::set<uint64_t>{0x1017, 0x101e}));
  EXPECT_FALSE(FindSliceReferencedByCode(0x1000, Bytes(code, sizeof(code)), 0, ~0ull).ok());
}

}  // namespace
}  // namespace gotap::goroutines
