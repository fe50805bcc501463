// DwarfInfo against the model fixture (Go 1.19, every variant of the build matrix): functions,
// parameters, inlining, struct layouts and prologue ends as Go's compiler wrote them.
#include "dwarf/dwarf_info.h"

#include <fcntl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "test_paths.h"

namespace gotap::dwarf {
namespace {

using testing::FixturePath;

// Each fixture is loaded once for the whole test binary; null (and a failure) if it cannot be.
const DwarfInfo* Model(const std::string& variant) {
  static auto* cache = new std::map<std::string, std::unique_ptr<DwarfInfo>>();
  auto it = cache->find(variant);
  if (it == cache->end()) {
    auto opened = DwarfInfo::Open(FixturePath("model." + variant));
    std::unique_ptr<DwarfInfo> info;
    if (opened.ok()) {
      info = std::make_unique<DwarfInfo>(std::move(opened).value());
    } else {
      ADD_FAILURE() << opened.status().ToString();
    }
    it = cache->emplace(variant, std::move(info)).first;
  }
  return it->second.get();
}

// `count` bytes of the file at link-time address `vaddr` (through the PT_LOAD segments).
std::vector<uint8_t> BytesAt(const std::string& path, uint64_t vaddr, size_t count) {
  std::vector<uint8_t> bytes;
  elf_version(EV_CURRENT);
  int fd = open(path.c_str(), O_RDONLY);
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  size_t phnum = 0;
  if (elf != nullptr && elf_getphdrnum(elf, &phnum) == 0) {
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr phdr;
      if (gelf_getphdr(elf, i, &phdr) == nullptr || phdr.p_type != PT_LOAD) continue;
      if (vaddr < phdr.p_vaddr || vaddr + count > phdr.p_vaddr + phdr.p_filesz) continue;
      bytes.resize(count);
      if (pread(fd, bytes.data(), count, phdr.p_offset + (vaddr - phdr.p_vaddr)) !=
          static_cast<ssize_t>(count)) {
        bytes.clear();
      }
    }
  }
  if (elf != nullptr) elf_end(elf);
  if (fd >= 0) close(fd);
  return bytes;
}

// The 1-based line of the model's main.go that contains `text`; 0 if none.
uint32_t ModelSourceLine(const std::string& text) {
  std::ifstream in(std::string(GOTAP_SOURCE_DIR) + "/tests/fixtures/go/model/main.go");
  std::string line;
  for (uint32_t number = 1; std::getline(in, line); ++number) {
    if (line.find(text) != std::string::npos) return number;
  }
  return 0;
}

class DwarfModelVariantTest : public ::testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(Go119, DwarfModelVariantTest,
                         ::testing::Values("default", "noopt", "pie", "cgo", "arm64"));

// runtime.g.goid sits at 152 in Go 1.13–1.19 on amd64 and arm64 (go-internals.md §5).
TEST_P(DwarfModelVariantTest, RuntimeLayouts) {
  const DwarfInfo* info = Model(GetParam());
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->MemberOffset("runtime.g", "goid"), 152u);
  EXPECT_EQ(info->MemberOffset("runtime.g", "sched"), 56u);
  EXPECT_EQ(info->MemberOffset("runtime.gobuf", "sp"), 0u);
  EXPECT_EQ(info->MemberOffset("runtime.gobuf", "pc"), 8u);
  EXPECT_EQ(info->MemberOffset("runtime.g", "sched.pc"), 64u);  // a dotted path adds up
  EXPECT_EQ(info->MemberOffset("context.cancelCtx", "err"), 48u);
  EXPECT_EQ(info->MemberOffset("runtime.g", "no_such_member"), std::nullopt);
  EXPECT_EQ(info->MemberOffset("runtime.no_such_type", "goid"), std::nullopt);
  EXPECT_EQ(info->MemberOffset("runtime.g", "goid.deeper"), std::nullopt);
}

TEST_P(DwarfModelVariantTest, FunctionsAreSortedAndWellFormed) {
  const DwarfInfo* info = Model(GetParam());
  ASSERT_NE(info, nullptr);
  const std::vector<Function>& functions = info->functions();
  ASSERT_GT(functions.size(), 1000u);
  for (size_t i = 0; i < functions.size(); ++i) {
    const Function& f = functions[i];
    ASSERT_FALSE(f.name.empty());
    ASSERT_LT(f.low_pc, f.high_pc) << f.ToString();
    if (i > 0) {
      ASSERT_LE(functions[i - 1].low_pc, f.low_pc);
    }
    if (f.prologue_end) {
      ASSERT_GE(*f.prologue_end, f.low_pc) << f.ToString();  // == for nosplit with a frame
      ASSERT_LT(*f.prologue_end, f.high_pc) << f.ToString();
    }
    for (const Parameter& p : f.parameters) ASSERT_NE(p.type, nullptr) << f.ToString();
  }
  const Function* fib = info->FindFunction("main.fib");
  ASSERT_NE(fib, nullptr);
  EXPECT_EQ(info->FunctionContaining(fib->low_pc), fib);
  EXPECT_EQ(info->FunctionContaining(fib->high_pc - 1), fib);
  EXPECT_EQ(info->FunctionContaining(0), nullptr);
  EXPECT_EQ(info->FindFunction("main.no_such_function"), nullptr);
}

// Mixed(a int, b string, c []byte, d float64, e interface{}, f complex128, g [2]int32,
// h struct{x int8; y float32}) (int, error).
TEST_P(DwarfModelVariantTest, MixedParameters) {
  const DwarfInfo* info = Model(GetParam());
  ASSERT_NE(info, nullptr);
  const Function* mixed = info->FindFunction("main.Mixed");
  ASSERT_NE(mixed, nullptr);
  const std::vector<Parameter>& p = mixed->parameters;
  ASSERT_EQ(p.size(), 10u) << mixed->ToString();
  struct Want {
    const char* name;
    Type::Kind kind;
    uint64_t size;
    bool result;
  };
  const Want want[] = {
      {"a", Type::Kind::kInt, 8, false},
      {"b", Type::Kind::kString, 16, false},
      {"c", Type::Kind::kSlice, 24, false},
      {"d", Type::Kind::kFloat, 8, false},
      {"e", Type::Kind::kEmptyInterface, 16, false},
      {"f", Type::Kind::kComplex, 16, false},
      {"g", Type::Kind::kArray, 8, false},
      {"h", Type::Kind::kStruct, 8, false},
      {"~r0", Type::Kind::kInt, 8, true},
      {"~r1", Type::Kind::kInterface, 16, true},
  };
  for (size_t i = 0; i < p.size(); ++i) {
    SCOPED_TRACE(p[i].ToString() + " / " + p[i].type->ToString());
    EXPECT_EQ(p[i].name, want[i].name);
    EXPECT_EQ(p[i].type->kind, want[i].kind);
    EXPECT_EQ(p[i].type->size, want[i].size);
    EXPECT_EQ(p[i].is_result, want[i].result);
  }
  EXPECT_EQ(p[1].type->name, "string");
  EXPECT_EQ(p[2].type->name, "[]uint8");
  ASSERT_NE(p[2].type->elem, nullptr);
  EXPECT_EQ(p[2].type->elem->kind, Type::Kind::kUint);
  EXPECT_EQ(p[2].type->elem->size, 1u);
  EXPECT_EQ(p[4].type->name, "interface {}");
  ASSERT_EQ(p[4].type->fields.size(), 2u);
  EXPECT_EQ(p[4].type->fields[0].name, "_type");
  EXPECT_EQ(p[6].type->array_length, 2u);
  ASSERT_NE(p[6].type->elem, nullptr);
  EXPECT_EQ(p[6].type->elem->name, "int32");
  const Type* h = p[7].type;
  ASSERT_EQ(h->fields.size(), 2u);
  EXPECT_EQ(h->fields[0].name, "x");
  EXPECT_EQ(h->fields[0].offset, 0u);
  EXPECT_EQ(h->fields[0].type->name, "int8");
  EXPECT_EQ(h->fields[1].name, "y");
  EXPECT_EQ(h->fields[1].offset, 4u);
  EXPECT_EQ(h->fields[1].type->kind, Type::Kind::kFloat);
  EXPECT_EQ(p[9].type->name, "error");
  ASSERT_EQ(p[9].type->fields.size(), 2u);
  EXPECT_EQ(p[9].type->fields[0].name, "tab");  // runtime.iface
}

TEST_P(DwarfModelVariantTest, MethodAndContainerTypes) {
  const DwarfInfo* info = Model(GetParam());
  ASSERT_NE(info, nullptr);
  const Function* get = info->FindFunction("main.(*Store).Get");
  ASSERT_NE(get, nullptr);
  ASSERT_EQ(get->parameters.size(), 4u) << get->ToString();
  const Type* receiver = get->parameters[0].type;
  EXPECT_EQ(receiver->kind, Type::Kind::kPointer);
  ASSERT_NE(receiver->elem, nullptr);
  EXPECT_EQ(receiver->elem, info->FindType("main.Store"));
  const Field* items = receiver->elem->FindField("items");
  ASSERT_NE(items, nullptr);
  EXPECT_EQ(items->type->kind, Type::Kind::kMap);
  EXPECT_EQ(items->type->size, 8u);
  ASSERT_NE(items->type->key, nullptr);
  EXPECT_EQ(items->type->key->name, "string");
  ASSERT_NE(items->type->elem, nullptr);
  EXPECT_EQ(items->type->elem->name, "int");
  EXPECT_EQ(info->MemberOffset("main.Store", "hits"), 8u);
  EXPECT_EQ(get->parameters[3].type->kind, Type::Kind::kBool);
  EXPECT_TRUE(get->parameters[3].is_result);

  const Function* square = info->FindFunction("main.square");
  ASSERT_NE(square, nullptr);
  ASSERT_EQ(square->parameters.size(), 2u);
  EXPECT_EQ(square->parameters[0].type->kind, Type::Kind::kChan);
  ASSERT_NE(square->parameters[0].type->elem, nullptr);
  EXPECT_EQ(square->parameters[0].type->elem->name, "int");

  const Function* apply = info->FindFunction("main.apply");
  ASSERT_NE(apply, nullptr);
  ASSERT_EQ(apply->parameters.size(), 2u);
  EXPECT_EQ(apply->parameters[0].type->kind, Type::Kind::kFunc);
  EXPECT_EQ(apply->parameters[0].type->size, 8u);
  EXPECT_EQ(apply->parameters[1].type->kind, Type::Kind::kSlice);  // xs ...int

  const Function* handle = info->FindFunction("main.handle");
  ASSERT_NE(handle, nullptr);
  ASSERT_FALSE(handle->parameters.empty());
  EXPECT_EQ(handle->parameters[0].type->name, "context.Context");
  EXPECT_EQ(handle->parameters[0].type->kind, Type::Kind::kInterface);
}

// runtime.g -> m *runtime.m -> curg *runtime.g: the arena resolves cycles to the same objects.
TEST_P(DwarfModelVariantTest, RecursiveTypesShareObjects) {
  const DwarfInfo* info = Model(GetParam());
  ASSERT_NE(info, nullptr);
  const Type* g = info->FindType("runtime.g");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->kind, Type::Kind::kStruct);
  const Field* m = g->FindField("m");
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->type->kind, Type::Kind::kPointer);
  ASSERT_NE(m->type->elem, nullptr);
  const Field* curg = m->type->elem->FindField("curg");
  ASSERT_NE(curg, nullptr);
  ASSERT_NE(curg->type->elem, nullptr);
  EXPECT_EQ(curg->type->elem, g);
}

TEST_P(DwarfModelVariantTest, GlobalsHaveAddresses) {
  const DwarfInfo* info = Model(GetParam());
  ASSERT_NE(info, nullptr);
  const Global* version = info->FindGlobal("runtime.buildVersion");
  ASSERT_NE(version, nullptr);
  EXPECT_NE(version->address, 0u);
  EXPECT_EQ(version->type->kind, Type::Kind::kString);
  EXPECT_EQ(info->FindGlobal("runtime.no_such_global"), nullptr);
}

// Generic instantiations type their parameters through ".paramN" typedefs of shape types. The
// dictionary argument ".dict" is listed only when optimisations are off.
TEST_P(DwarfModelVariantTest, GenericShapeParameters) {
  const DwarfInfo* info = Model(GetParam());
  ASSERT_NE(info, nullptr);
  const Function* sum = info->FindFunction("main.Sum[go.shape.int_0]");
  ASSERT_NE(sum, nullptr);
  std::vector<Parameter> p = sum->parameters;
  if (GetParam() == "noopt") {
    ASSERT_FALSE(p.empty());
    EXPECT_EQ(p[0].name, ".dict");
    EXPECT_EQ(p[0].type->kind, Type::Kind::kUintptr);
    p.erase(p.begin());
  }
  ASSERT_EQ(p.size(), 2u) << sum->ToString();
  EXPECT_EQ(p[0].name, "xs");
  EXPECT_EQ(p[0].type->kind, Type::Kind::kSlice);
  EXPECT_EQ(p[0].type->name, "[]go.shape.int_0");
  EXPECT_EQ(p[1].type->kind, Type::Kind::kInt);
  EXPECT_TRUE(p[1].is_result);
}

// errors.New is small enough to be inlined everywhere: abstract only, copies inside Mixed.
TEST(DwarfInfoTest, AbstractOnlyStandardLibraryFunction) {
  const DwarfInfo* info = Model("default");
  ASSERT_NE(info, nullptr);
  EXPECT_TRUE(info->IsAbstractOnly("errors.New"));
  EXPECT_FALSE(info->HasConcreteBody("errors.New"));
  const Function* mixed = info->FindFunction("main.Mixed");
  ASSERT_NE(mixed, nullptr);
  uint32_t line = ModelSourceLine("errors.New(\"negative a\")");
  ASSERT_NE(line, 0u);
  int found = 0;
  for (const InlinedCall* call : info->InlinedCallsOf("errors.New")) {
    if (call->caller != "main.Mixed") continue;
    ++found;
    EXPECT_EQ(call->call_line, line) << call->ToString();
    EXPECT_TRUE(call->call_file.ends_with("model/main.go")) << call->ToString();
    ASSERT_FALSE(call->ranges.empty());
    for (const PcRange& range : call->ranges) {
      EXPECT_GE(range.low, mixed->low_pc);
      EXPECT_LE(range.high, mixed->high_pc);
    }
  }
  EXPECT_EQ(found, 1);
}

TEST(DwarfInfoTest, SmallIsInlinedOnly) {
  const DwarfInfo* info = Model("default");
  ASSERT_NE(info, nullptr);
  EXPECT_TRUE(info->IsAbstractOnly("main.small"));
  EXPECT_EQ(info->FindFunction("main.small"), nullptr);
  std::vector<const InlinedCall*> calls = info->InlinedCallsOf("main.small");
  ASSERT_FALSE(calls.empty());
  for (const InlinedCall* call : calls) {
    EXPECT_EQ(call->caller, "main.main") << call->ToString();
    EXPECT_FALSE(call->ranges.empty()) << call->ToString();
  }
}

// -gcflags=all=-N -l: nothing is inlined, so small has its own body.
TEST(DwarfInfoTest, NoOptHasNoInlining) {
  const DwarfInfo* info = Model("noopt");
  ASSERT_NE(info, nullptr);
  EXPECT_TRUE(info->inlined_calls().empty());
  EXPECT_TRUE(info->HasConcreteBody("main.small"));
  EXPECT_FALSE(info->IsAbstractOnly("main.small"));
}

// ABI wrappers share the name of the body they wrap; FindFunction must give the real body.
TEST(DwarfInfoTest, DuplicateNamesFindTheRealBody) {
  const DwarfInfo* info = Model("default");
  ASSERT_NE(info, nullptr);
  int hidden = 0;
  for (const Function& f : info->functions()) {
    const Function* found = info->FindFunction(f.name);
    ASSERT_NE(found, nullptr) << f.ToString();
    if (found != &f) {  // the documented preference: fewer wrapper flags, then lower address
      auto rank = [](const Function* g) {
        return std::make_pair(int{g->wrapper} + int{g->autogenerated}, g->low_pc);
      };
      EXPECT_GT(rank(&f), rank(found)) << f.ToString() << " hides " << found->ToString();
      ++hidden;
    }
  }
  EXPECT_GT(hidden, 0);
  const Function* greet = info->FindFunction("main.(*English).Greet");  // value-receiver wrapper
  ASSERT_NE(greet, nullptr);
  EXPECT_TRUE(greet->wrapper);
  const Function* count = info->FindFunction("internal/bytealg.countGenericString");
  ASSERT_NE(count, nullptr);  // the Go body, not its ABI0 entry
  EXPECT_FALSE(count->autogenerated);
  EXPECT_FALSE(count->wrapper);
  const Function* mixed = info->FindFunction("main.Mixed");
  ASSERT_NE(mixed, nullptr);
  EXPECT_FALSE(mixed->wrapper);
  EXPECT_FALSE(mixed->autogenerated);
}

// In cgo builds the C compile units also define "int" (4 bytes); Go's int must win.
TEST(DwarfInfoTest, CgoKeepsGoTypeNames) {
  const DwarfInfo* info = Model("cgo");
  ASSERT_NE(info, nullptr);
  const Type* go_int = info->FindType("int");
  ASSERT_NE(go_int, nullptr);
  EXPECT_EQ(go_int->size, 8u);
  EXPECT_EQ(go_int->go_kind, 2);
  EXPECT_NE(info->FindFunction("main.Mixed"), nullptr);
}

// amd64 regabi: CMPQ SP, 16(R14) (49 3b 66 10), then JBE rel8 (76 xx) or rel32 (0f 86 …);
// prologue_end is the instruction after the jump (go-internals.md §2.1/§2.3).
TEST(DwarfInfoTest, PrologueEndFollowsStackCheckAmd64) {
  const std::string path = FixturePath("model.default");
  const DwarfInfo* info = Model("default");
  ASSERT_NE(info, nullptr);
  int checked = 0;
  for (const Function& f : info->functions()) {
    if (!f.name.starts_with("main.") || !f.prologue_end) continue;
    std::vector<uint8_t> code = BytesAt(path, f.low_pc, 6);
    ASSERT_EQ(code.size(), 6u) << f.ToString();
    if (code[0] != 0x49 || code[1] != 0x3b || code[2] != 0x66 || code[3] != 0x10) continue;
    uint64_t jump_size = code[4] == 0x76 ? 2 : (code[4] == 0x0f && code[5] == 0x86 ? 6 : 0);
    ASSERT_NE(jump_size, 0u) << f.ToString();
    EXPECT_EQ(*f.prologue_end, f.low_pc + 4 + jump_size) << f.ToString();
    ++checked;
  }
  EXPECT_GE(checked, 8);
  const Function* fib = info->FindFunction("main.fib");  // small frame: short jump
  ASSERT_NE(fib, nullptr);
  EXPECT_EQ(fib->prologue_end, fib->low_pc + 6);
}

// arm64: MOVD 16(R28), R16 (f9400b90); CMP; BLS; prologue_end is the fourth instruction.
TEST(DwarfInfoTest, PrologueEndFollowsStackCheckArm64) {
  const std::string path = FixturePath("model.arm64");
  const DwarfInfo* info = Model("arm64");
  ASSERT_NE(info, nullptr);
  const Function* fib = info->FindFunction("main.fib");
  ASSERT_NE(fib, nullptr);
  EXPECT_EQ(BytesAt(path, fib->low_pc, 4), (std::vector<uint8_t>{0x90, 0x0b, 0x40, 0xf9}));
  EXPECT_EQ(fib->prologue_end, fib->low_pc + 12);
}

TEST(DwarfInfoTest, MovedInfoKeepsTypesValid) {
  auto opened = DwarfInfo::Open(FixturePath("model.default"));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  DwarfInfo first = std::move(opened).value();
  const Type* g = first.FindType("runtime.g");
  const Function* mixed = first.FindFunction("main.Mixed");
  ASSERT_NE(g, nullptr);
  ASSERT_NE(mixed, nullptr);
  DwarfInfo second = std::move(first);
  EXPECT_EQ(second.FindType("runtime.g"), g);
  EXPECT_EQ(second.FindFunction("main.Mixed"), mixed);
  EXPECT_EQ(g->FindField("goid")->offset, 152u);
}

}  // namespace
}  // namespace gotap::dwarf
