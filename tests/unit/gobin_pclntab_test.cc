// The Go binary model against the fixtures built with Go 1.19: pclntab must agree exactly with
// .symtab, in every variant of the build matrix.
#include <elf.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "gobin/binary.h"
#include "test_paths.h"

namespace gotap::gobin {
namespace {

using testing::FixturePath;

std::unique_ptr<Binary> OpenOrDie(const std::string& path) {
  auto binary = Binary::Open(path);
  EXPECT_TRUE(binary.ok()) << path << ": " << binary.status().ToString();
  return binary.ok() ? std::move(binary).value() : nullptr;
}

class ModelVariantTest : public ::testing::TestWithParam<std::string> {};

// Every pclntab function is a .symtab function symbol with the same entry and (full) name, and
// every Go function symbol inside the Go text range is a pclntab function.
TEST_P(ModelVariantTest, PclntabAgreesWithSymtab) {
  auto binary = OpenOrDie(FixturePath("model." + GetParam()));
  ASSERT_NE(binary, nullptr);
  ASSERT_TRUE(binary->has_symtab());
  std::set<std::pair<uint64_t, std::string>> from_symtab;
  for (const elf::Symbol& sym : binary->elf().symbols()) {
    if (sym.type != STT_FUNC) continue;
    std::string name(sym.name);
    if (name.size() > 5 && name.ends_with(".abi0")) name.resize(name.size() - 5);
    from_symtab.emplace(sym.value, name);
  }
  std::set<std::pair<uint64_t, std::string>> from_pclntab;
  for (const FuncRecord& f : binary->functions()) {
    from_pclntab.emplace(f.entry, std::string(binary->Name(f)));
  }
  for (const auto& entry : from_pclntab) {
    EXPECT_TRUE(from_symtab.count(entry)) << "pclntab only: " << entry.second;
  }
  uint64_t text_begin = binary->functions().front().entry;
  uint64_t text_end = binary->functions().back().end;
  for (const auto& [addr, name] : from_symtab) {
    if (addr < text_begin || addr >= text_end) continue;              // C code of cgo binaries
    if (name == "runtime.text" || name == "runtime.etext") continue;  // markers, not functions
    EXPECT_TRUE(from_pclntab.count({addr, name})) << "symtab only: " << name;
  }
  EXPECT_GT(from_pclntab.size(), 1000u);
}

TEST_P(ModelVariantTest, BuildInfoAndAbi) {
  auto binary = OpenOrDie(FixturePath("model." + GetParam()));
  ASSERT_NE(binary, nullptr);
  ASSERT_TRUE(binary->build_info().has_value());
  const BuildInfo& info = *binary->build_info();
  EXPECT_EQ(info.go_version.rfind("go1.19", 0), 0u) << info.go_version;
  EXPECT_EQ(info.main_module.path, "gotap.test/fixtures");
  EXPECT_EQ(info.main_path, "gotap.test/fixtures/model");
  std::map<std::string, std::string> settings(info.settings.begin(), info.settings.end());
  EXPECT_EQ(settings["GOARCH"], GetParam() == "arm64" ? "arm64" : "amd64");
  EXPECT_EQ(settings["CGO_ENABLED"], GetParam() == "cgo" ? "1" : "0");
  EXPECT_EQ(binary->abi(), Abi::kRegister);
  EXPECT_EQ(binary->pclntab().version(), PclntabVersion::kGo118);
  EXPECT_EQ(binary->machine(),
            GetParam() == "arm64" ? elf::Machine::kAarch64 : elf::Machine::kX86_64);
}

TEST_P(ModelVariantTest, KnownFunctionsAndNames) {
  auto binary = OpenOrDie(FixturePath("model." + GetParam()));
  ASSERT_NE(binary, nullptr);
  for (const char* name : {"main.main", "runtime.goexit", "main.(*Store).Get", "main.main.func1",
                           "main.Mixed", "main.English.Greet"}) {
    EXPECT_FALSE(binary->FindFunctions(name).empty()) << name;
  }
  // Generic instantiations keep their abbreviated pclntab name for lookups.
  bool found_generic = false;
  for (const FuncRecord& f : binary->functions()) {
    if (f.name == "main.Sum[...]") {
      found_generic = true;
      EXPECT_NE(binary->Name(f).find("go.shape."), std::string_view::npos) << binary->Name(f);
    }
  }
  EXPECT_TRUE(found_generic);
  // ABI wrappers: runtime.goexit1 has an ABI0 twin; the real body is listed first.
  auto goexit1 = binary->FindFunctions("runtime.goexit1");
  ASSERT_EQ(goexit1.size(), 2u);
  EXPECT_FALSE(binary->IsWrapper(*goexit1[0]));
  EXPECT_TRUE(binary->IsWrapper(*goexit1[1]));
}

INSTANTIATE_TEST_SUITE_P(Go119, ModelVariantTest,
                         ::testing::ValuesIn(testing::UnstrippedModelVariants()),
                         [](const auto& info) { return info.param; });

TEST(StrippedModel, SameFunctionsAsUnstripped) {
  auto stripped = OpenOrDie(FixturePath("model.stripped"));
  auto full = OpenOrDie(FixturePath("model.default"));
  ASSERT_NE(stripped, nullptr);
  ASSERT_NE(full, nullptr);
  EXPECT_FALSE(stripped->has_symtab());
  EXPECT_FALSE(stripped->has_dwarf());
  EXPECT_TRUE(full->has_dwarf());
  ASSERT_EQ(stripped->functions().size(), full->functions().size());
  for (size_t i = 0; i < full->functions().size(); ++i) {
    EXPECT_EQ(stripped->functions()[i].name, full->functions()[i].name);
  }
  EXPECT_EQ(stripped->go_version(), full->go_version());
  EXPECT_EQ(stripped->goid_offset().offset, 152u);
  EXPECT_EQ(stripped->goid_offset().source, GoidSource::kCode);
}

TEST(FunctionAt, FindsContainingFunction) {
  auto binary = OpenOrDie(FixturePath("model.default"));
  ASSERT_NE(binary, nullptr);
  const FuncRecord* get = binary->FindFunctions("main.(*Store).Get").at(0);
  EXPECT_EQ(binary->FunctionAt(get->entry), get);
  EXPECT_EQ(binary->FunctionAt(get->end - 1), get);
  EXPECT_NE(binary->FunctionAt(get->end), get);
  EXPECT_EQ(binary->FunctionAt(0), nullptr);
}

}  // namespace
}  // namespace gotap::gobin
