// Bad input of every kind gets one line naming the file and the reason, exit code 2, and never a
// crash or a hang.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "../unit/test_paths.h"
#include "run_gotap.h"

namespace gotap::testing {
namespace {

std::string WriteTemp(const std::string& name, const std::string& bytes) {
  std::string path = ::testing::TempDir() + "gotap-" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// Asserts exactly one line on stderr naming `path` and containing `reason`, exit code 2.
void ExpectOneLineError(const std::vector<std::string>& args, const std::string& path,
                        const std::string& reason) {
  RunResult r = RunGotap(args);
  EXPECT_EQ(r.signal, 0) << "killed by signal";
  EXPECT_EQ(r.exit_code, 2) << r.err;
  auto lines = Lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_NE(lines[0].find(path), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(reason), std::string::npos) << lines[0];
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// A 64-byte ELF header with the given class and data encoding, x86-64, ET_EXEC.
std::string ElfHeader(uint8_t elf_class, uint8_t data) {
  std::string h(64, '\0');
  h[0] = 0x7f, h[1] = 'E', h[2] = 'L', h[3] = 'F', h[4] = static_cast<char>(elf_class);
  h[5] = static_cast<char>(data), h[6] = 1;
  h[16] = 2;   // ET_EXEC
  h[18] = 62;  // EM_X86_64
  return h;
}

TEST(BadInput, EachKindGetsOneLineAndExitTwo) {
  for (const char* cmd : {"info", "funcs"}) {
    ExpectOneLineError({cmd, "/nonexistent/gotap-test"}, "/nonexistent/gotap-test", "no such file");
    ExpectOneLineError({cmd, "/tmp"}, "/tmp", "is a directory");
    std::string text = WriteTemp("text", "hello, I am not a binary\n");
    ExpectOneLineError({cmd, text}, text, "not an ELF file");
    std::string empty = WriteTemp("empty", "");
    ExpectOneLineError({cmd, empty}, empty, "not an ELF file");
    std::string elf32 = WriteTemp("elf32", ElfHeader(1, 1));
    ExpectOneLineError({cmd, elf32}, elf32, "32-bit ELF");
    std::string big = WriteTemp("big-endian", ElfHeader(2, 2));
    ExpectOneLineError({cmd, big}, big, "big-endian");
    ExpectOneLineError({cmd, "/bin/true"}, "/bin/true", "not a Go binary");
  }
}

TEST(BadInput, TruncatedBinaries) {
  std::string bytes = ReadText(FixturePath("model.stripped"));
  ASSERT_GT(bytes.size(), 1u << 20);
  for (size_t length : {size_t{10}, size_t{63}, size_t{64}, size_t{4096}, bytes.size() / 3,
                        bytes.size() / 2, bytes.size() * 9 / 10}) {
    std::string path = WriteTemp("truncated", bytes.substr(0, length));
    RunResult r = RunGotap({"funcs", path});
    EXPECT_EQ(r.signal, 0) << "length " << length;
    EXPECT_EQ(r.exit_code, 2) << "length " << length << ": " << r.err;
    auto lines = Lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << "length " << length << ": " << r.err;
    EXPECT_NE(lines[0].find(path), std::string::npos);
  }
}

// Random byte corruption anywhere in the file: gotap may succeed or reject the file, but must not
// crash, hang or print more than one line of error.
TEST(BadInput, CorruptedBinariesNeverCrash) {
  std::string bytes = ReadText(FixturePath("model.stripped"));
  std::mt19937_64 rng(20261121);
  for (int round = 0; round < 60; ++round) {
    std::string copy = bytes;
    int flips = 1 + static_cast<int>(rng() % 64);
    for (int i = 0; i < flips; ++i) copy[rng() % copy.size()] = static_cast<char>(rng());
    std::string path = WriteTemp("corrupt", copy);
    RunResult r = RunGotap({round % 2 ? "info" : "funcs", "--json", path});
    ASSERT_EQ(r.signal, 0) << "round " << round;
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 2) << "round " << round << ": " << r.err;
    if (r.exit_code == 2) EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  }
}

TEST(BadInput, UnknownGlobSuggestsNearestNames) {
  RunResult r = RunGotap({"funcs", FixturePath("model.stripped"), "main.(*Store).Gt"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no function matches 'main.(*Store).Gt'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("main.(*Store).Get"), std::string::npos) << r.err;
}

TEST(BadInput, UsageErrorsExitTwo) {
  EXPECT_EQ(RunGotap({}).exit_code, 2);
  EXPECT_EQ(RunGotap({"info"}).exit_code, 2);
  EXPECT_EQ(RunGotap({"frobnicate"}).exit_code, 2);
  RunResult help = RunGotap({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples"), std::string::npos);
}

}  // namespace
}  // namespace gotap::testing
