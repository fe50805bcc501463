// The Go binary model on real, stripped third-party binaries from the npm registry (esbuild,
// lefthook), built by toolchains we do not have here: Go 1.15 (pclntab 1.2 format), 1.16 (stack
// ABI), 1.19, 1.20, 1.23, amd64 and arm64, and by the newest releases: Go 1.26 (esbuild 0.28.2,
// whose .go.buildinfo was removed) and 1.27 (lefthook). Fetched by scripts/fetch_npm.sh.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "gobin/binary.h"
#include "test_paths.h"

namespace gotap::gobin {
namespace {

struct NpmCase {
  std::string package;  // directory under .cache/npm
  // `go version BIN`; for esbuild 0.28.2, which `go version` cannot read (no build info), what
  // its runtime.Version() returns.
  std::string go_version;
  Abi abi;
  elf::Machine machine;
  PclntabVersion pclntab;
  size_t min_functions;
  size_t max_functions;
  uint64_t goid_offset;
  std::string file = "bin/esbuild";
  // `go version -m`'s mod line; empty when the build info was removed.
  std::string module = "github.com/evanw/esbuild";
  std::string known_function = "github.com/evanw/esbuild/internal/js_parser.Parse";
};

std::ostream& operator<<(std::ostream& os, const NpmCase& c) { return os << c.package; }

const NpmCase kCases[] = {
    {"esbuild-linux-64@0.8.0", "go1.15", Abi::kStack, elf::Machine::kX86_64, PclntabVersion::kGo12,
     4000, 5000, 152},
    {"esbuild-linux-64@0.8.57", "go1.16", Abi::kStack, elf::Machine::kX86_64,
     PclntabVersion::kGo116, 5000, 6500, 152},
    {"esbuild-linux-64@0.14.54", "go1.19", Abi::kRegister, elf::Machine::kX86_64,
     PclntabVersion::kGo118, 5500, 7000, 152},
    {"@esbuild+linux-x64@0.20.2", "go1.20.12", Abi::kRegister, elf::Machine::kX86_64,
     PclntabVersion::kGo120, 6500, 8000, 152},
    {"@esbuild+linux-x64@0.24.2", "go1.23.1", Abi::kRegister, elf::Machine::kX86_64,
     PclntabVersion::kGo120, 7000, 9000, 160},
    {"@esbuild+linux-arm64@0.24.2", "go1.23.1", Abi::kRegister, elf::Machine::kAarch64,
     PclntabVersion::kGo120, 7000, 9000, 160},
    {"@esbuild+linux-x64@0.28.2", "go1.26.5", Abi::kRegister, elf::Machine::kX86_64,
     PclntabVersion::kGo120, 7000, 10000, 152, "bin/esbuild", ""},
    {"lefthook-linux-x64@2.2.4", "go1.27.4", Abi::kRegister, elf::Machine::kX86_64,
     PclntabVersion::kGo120, 12000, 17000, 152, "bin/lefthook",
     "github.com/evilmartians/lefthook/v2",
     "github.com/evilmartians/lefthook/v2/internal/config.ScriptsToJobs"},
};

class NpmBinaryTest : public ::testing::TestWithParam<NpmCase> {
 protected:
  std::unique_ptr<Binary> Open() {
    std::string path = testing::NpmPackageFile(GetParam().package, GetParam().file);
    auto binary = Binary::Open(path);
    EXPECT_TRUE(binary.ok()) << path << ": " << binary.status().ToString()
                             << " (run scripts/setup.sh)";
    return binary.ok() ? std::move(binary).value() : nullptr;
  }
};

TEST_P(NpmBinaryTest, VersionAbiAndLayout) {
  auto binary = Open();
  ASSERT_NE(binary, nullptr);
  const NpmCase& c = GetParam();
  EXPECT_EQ(binary->go_version(), c.go_version);
  EXPECT_EQ(binary->abi(), c.abi);
  EXPECT_EQ(binary->machine(), c.machine);
  EXPECT_EQ(binary->pclntab().version(), c.pclntab);
  EXPECT_FALSE(binary->has_symtab());
  EXPECT_FALSE(binary->has_dwarf());
  EXPECT_EQ(binary->goid_offset().offset, c.goid_offset);
  // Stripped: read from the binary's own runtime code, and the version table agrees.
  EXPECT_EQ(binary->goid_offset().source, GoidSource::kCode);
  EXPECT_EQ(binary->goid_offset().table_offset, c.goid_offset);
  if (c.module.empty()) {
    EXPECT_FALSE(binary->build_info().has_value());
    EXPECT_STREQ(binary->go_version_source(), "runtime.buildVersion");
  } else {
    ASSERT_TRUE(binary->build_info().has_value());
    EXPECT_EQ(binary->build_info()->main_module.path, c.module);
  }
  EXPECT_GE(binary->functions().size(), c.min_functions);
  EXPECT_LE(binary->functions().size(), c.max_functions);
}

TEST_P(NpmBinaryTest, KnownNamesAndSaneRanges) {
  auto binary = Open();
  ASSERT_NE(binary, nullptr);
  for (const std::string& name :
       {std::string("main.main"), std::string("runtime.goexit"), GetParam().known_function}) {
    EXPECT_FALSE(binary->FindFunctions(name).empty()) << name;
  }
  uint64_t previous_end = 0;
  for (const FuncRecord& f : binary->functions()) {
    ASSERT_LT(f.entry, f.end) << f.name;
    ASSERT_GE(f.entry, previous_end) << f.name;
    ASSERT_TRUE(binary->Code(f).has_value()) << f.name;
    ASSERT_FALSE(f.name.empty());
    previous_end = f.end;
  }
}

TEST_P(NpmBinaryTest, InlinedOnlyFunctionsAreFound) {
  auto binary = Open();
  ASSERT_NE(binary, nullptr);
  const InlineIndex& inlines = binary->inlines();
  EXPECT_EQ(inlines.skipped_functions(), 0u);
  EXPECT_GT(inlines.inlined_only().size(), 1000u);
  for (std::string_view name : inlines.inlined_only()) {
    ASSERT_TRUE(binary->FindFunctions(name).empty()) << name;
    const auto* sites = inlines.SitesOf(name);
    ASSERT_NE(sites, nullptr);
    for (const InlineSite& site : *sites) {
      ASSERT_EQ(binary->FunctionAt(site.pc), site.caller) << name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Esbuild, NpmBinaryTest, ::testing::ValuesIn(kCases), [](const auto& info) {
  std::string name = info.param.package;
  for (char& ch : name) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
});

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Go >= 1.26 writes 0 as the pclntab's textStart; the text base then comes from moduledata.
// Simulate it on a Go 1.23 binary: the functions must come out the same.
TEST(SimulatedLayouts, ZeroTextStartUsesModuledata) {
  std::string path = testing::NpmBinaryPath("@esbuild+linux-x64@0.24.2");
  std::string bytes = ReadAll(path);
  auto original = Binary::Open(path);
  ASSERT_TRUE(original.ok()) << original.status().ToString();
  const elf::Section* pclntab = (*original)->elf().FindSection(".gopclntab");
  ASSERT_NE(pclntab, nullptr);
  std::memset(bytes.data() + pclntab->offset + 24, 0, 8);
  auto patched =
      Binary::Parse(Bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), "patched");
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_TRUE((*patched)->pclntab().header_text_start_is_zero());
  ASSERT_EQ((*patched)->functions().size(), (*original)->functions().size());
  for (size_t i = 0; i < (*original)->functions().size(); ++i) {
    ASSERT_EQ((*patched)->functions()[i].entry, (*original)->functions()[i].entry);
  }
}

// Without section headers, pclntab and build info are found by scanning the segments.
TEST(SimulatedLayouts, NoSectionHeadersFallsBackToSegmentScan) {
  for (const char* package : {"esbuild-linux-64@0.8.57", "@esbuild+linux-arm64@0.24.2"}) {
    std::string path = testing::NpmBinaryPath(package);
    std::string bytes = ReadAll(path);
    auto original = Binary::Open(path);
    ASSERT_TRUE(original.ok()) << original.status().ToString();
    std::memset(bytes.data() + 0x28, 0, 8);  // e_shoff
    std::memset(bytes.data() + 0x3c, 0, 4);  // e_shnum, e_shstrndx
    auto patched = Binary::Parse(
        Bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), "no-sections");
    ASSERT_TRUE(patched.ok()) << package << ": " << patched.status().ToString();
    EXPECT_STREQ((*patched)->pclntab_found_by(), "scan");
    EXPECT_TRUE((*patched)->elf().sections().empty());
    EXPECT_EQ((*patched)->go_version(), (*original)->go_version());
    EXPECT_EQ((*patched)->functions().size(), (*original)->functions().size());
  }
}

}  // namespace
}  // namespace gotap::gobin
