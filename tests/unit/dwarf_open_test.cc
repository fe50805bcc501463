// DwarfInfo::Open on inputs that are not (whole) Go binaries with DWARF: every one must give an
// error status, never a crash or a half-loaded model.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dwarf/dwarf_info.h"
#include "test_paths.h"

namespace gotap::dwarf {
namespace {

using testing::FixturePath;

std::string WriteTempFile(const std::string& name, const std::string& contents) {
  std::string path = ::testing::TempDir() + "/dwarf_open_test_" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(DwarfOpenTest, StrippedBinaryHasNoDwarf) {
  auto info = DwarfInfo::Open(FixturePath("model.stripped"));
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kNotFound);
  EXPECT_NE(info.status().message().find("no DWARF"), std::string::npos)
      << info.status().ToString();
}

TEST(DwarfOpenTest, PathProblems) {
  EXPECT_EQ(DwarfInfo::Open("/nonexistent/gotap/binary").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(DwarfInfo::Open(::testing::TempDir()).status().code(), StatusCode::kInvalidArgument);
}

TEST(DwarfOpenTest, NotElf) {
  for (const std::string& contents : {std::string(), std::string("#!/bin/sh\necho hi\n"),
                                      std::string("\x7f"
                                                  "ELF",
                                                  4)}) {
    auto info = DwarfInfo::Open(WriteTempFile("not_elf", contents));
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.status().code(), StatusCode::kMalformed) << info.status().ToString();
  }
}

// Go puts the section headers first and DWARF near the end: cut points in the headers, in the
// code, inside the compressed debug sections and just before the end.
TEST(DwarfOpenTest, TruncatedCopiesAreMalformed) {
  std::string whole = ReadFile(FixturePath("model.default"));
  ASSERT_GT(whole.size(), 100000u);
  for (size_t size : {size_t{64}, size_t{1000}, size_t{4096}, whole.size() / 2,
                      whole.size() * 3 / 4, whole.size() - 4096, whole.size() - 1}) {
    SCOPED_TRACE(size);
    auto info = DwarfInfo::Open(WriteTempFile("truncated", whole.substr(0, size)));
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.status().code(), StatusCode::kMalformed) << info.status().ToString();
  }
  EXPECT_TRUE(DwarfInfo::Open(WriteTempFile("whole", whole)).ok());
}

}  // namespace
}  // namespace gotap::dwarf
