// gobin::RuntimeModel, fact by fact, against what each Go toolchain of the fixture matrix wrote
// into its own binaries (matrix.txt: Go 1.19, 1.21 - 1.27; default, PIE, cgo and stripped
// builds). Every fact the model hands out (goid, stack bounds, TLS slot of g, the _type and itab
// layouts, the kind numbers) is compared with the DWARF of the same program: the binary's own
// for builds that keep it, the default build's for stripped ones.
#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>

#include "../fixture_matrix.h"
#include "gobin/binary.h"
#include "gobin/runtime_model.h"

namespace gotap::gobin {
namespace {

using testing::MatrixFixture;

// A member offset by the first of `names` (the runtime renamed fields when _type moved to
// internal/abi in Go 1.21) in the first of `structs` that DWARF describes.
std::optional<uint64_t> Member(const dwarf::DwarfInfo& dwarf,
                               std::initializer_list<const char*> structs,
                               std::initializer_list<const char*> names) {
  for (const char* s : structs) {
    for (const char* n : names) {
      if (auto off = dwarf.MemberOffset(s, n)) return off;
    }
  }
  return std::nullopt;
}

class RuntimeModelMatrix : public ::testing::TestWithParam<MatrixFixture> {};

TEST_P(RuntimeModelMatrix, EveryFactMatchesTheToolchainsDwarf) {
  auto opened = Binary::Open(GetParam().path);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  const std::unique_ptr<Binary> binary = std::move(opened).value();
  // The binary whose DWARF describes this one's runtime: itself, or a stripped build's default.
  std::unique_ptr<Binary> reference;
  if (!binary->has_dwarf()) {
    std::string default_path = GetParam().path;
    default_path.replace(default_path.rfind(".stripped"), 9, ".default");
    auto with_dwarf = Binary::Open(default_path);
    ASSERT_TRUE(with_dwarf.ok()) << with_dwarf.status().ToString();
    reference = std::move(with_dwarf).value();
  }
  auto dwarf = (reference ? *reference : *binary).dwarf();
  ASSERT_TRUE(dwarf.ok()) << dwarf.status().ToString();
  const dwarf::DwarfInfo& d = **dwarf;
  const RuntimeModel& model = binary->runtime();

  // runtime.g: goid and the stack bounds the BPF program pairs calls with.
  EXPECT_EQ(model.goid().offset, d.MemberOffset("runtime.g", "goid"));
  EXPECT_EQ(model.stack_lo_offset(), d.MemberOffset("runtime.g", "stack.lo"));
  EXPECT_EQ(model.stack_hi_offset(), d.MemberOffset("runtime.g", "stack.hi"));
  ASSERT_TRUE(model.layout().ok()) << model.layout().status().ToString();
  EXPECT_EQ(model.layout()->g.goid, model.goid().offset);
  EXPECT_EQ(model.layout()->g.m, d.MemberOffset("runtime.g", "m"));
  EXPECT_EQ(model.layout()->m.locked_ext, d.MemberOffset("runtime.m", "lockedExt"));
  for (const std::string& disagreement : model.Disagreements()) ADD_FAILURE() << disagreement;

  // The TLS slot of g: fs_base - 8 in every amd64 build, by runtime.tlsg where .symtab has it.
  EXPECT_EQ(model.tls_g_offset(), -8);
  const bool has_tlsg = binary->elf().FindSymbol("runtime.tlsg") != nullptr;
  EXPECT_EQ(model.tls_g_source(), has_tlsg ? TlsSlotSource::kTlsgSymbol : TlsSlotSource::kDefault);

  // runtime._type (internal/abi.Type from Go 1.21) and the itab.
  const TypeDescriptorLayout& t = model.type_descriptor();
  const auto types = {"internal/abi.Type", "runtime._type"};
  const dwarf::Type* header = d.FindType("internal/abi.Type");
  if (header == nullptr) header = d.FindType("runtime._type");
  ASSERT_NE(header, nullptr);
  EXPECT_EQ(t.header_size, header->size);
  EXPECT_EQ(t.size_at, Member(d, types, {"Size_", "size"}));
  EXPECT_EQ(t.tflag_at, Member(d, types, {"TFlag", "tflag"}));
  EXPECT_EQ(t.kind_at, Member(d, types, {"Kind_", "kind"}));
  EXPECT_EQ(t.str_at, Member(d, types, {"Str", "str"}));
  EXPECT_EQ(t.ptr_to_this_at, Member(d, types, {"PtrToThis", "ptrToThis"}));
  EXPECT_EQ(t.elem_at, Member(d, {"internal/abi.PtrType", "runtime.ptrtype"}, {"Elem", "elem"}));
  EXPECT_EQ(t.struct_fields_at,
            Member(d, {"internal/abi.StructType", "runtime.structtype"}, {"Fields", "fields"}));
  EXPECT_EQ(t.itab_type_at, Member(d, {"internal/abi.ITab", "runtime.itab"}, {"Type", "_type"}));

  // Kind numbers: DWARF's DW_AT_go_kind of types every program has (Go writes none for
  // unsafe.Pointer).
  const std::pair<const char*, GoKind> kinds[] = {
      {"bool", GoKind::kBool},          {"int", GoKind::kInt},
      {"int32", GoKind::kInt32},        {"uint8", GoKind::kUint8},
      {"uint64", GoKind::kUint64},      {"uintptr", GoKind::kUintptr},
      {"float64", GoKind::kFloat64},    {"string", GoKind::kString},
      {"runtime.g", GoKind::kStruct},   {"*runtime.g", GoKind::kPointer},
      {"[]*runtime.g", GoKind::kSlice},
  };
  for (const auto& [name, kind] : kinds) {
    const dwarf::Type* type = d.FindType(name);
    ASSERT_NE(type, nullptr) << name;
    EXPECT_EQ(type->go_kind, KindByte(kind)) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Matrix, RuntimeModelMatrix,
                         ::testing::ValuesIn(testing::MatrixFixtures("", {"default", "pie", "cgo",
                                                                          "stripped"})),
                         [](const auto& info) { return info.param.Name(); });

}  // namespace
}  // namespace gotap::gobin
