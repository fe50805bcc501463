// Named types laid out from a stripped binary's runtime type data (probe/type_data) agree with
// what Go's compiler wrote in the DWARF of the same program built unstripped: field names,
// offsets, sizes and kinds, on every Go version of the matrix.
#include <gtest/gtest.h>

#include <functional>

#include "gobin/binary.h"
#include "probe/selector.h"
#include "probe/type_data.h"
#include "test_paths.h"

namespace gotap::probe {
namespace {

using dwarf::Type;
using testing::FixturePath;

class TypeDataMatrix : public ::testing::TestWithParam<std::string> {};

// The same shape: kind, size, and for structs each field's name, offset and shape.
void ExpectSameShape(const Type& from_types, const Type& from_dwarf, const std::string& path) {
  EXPECT_EQ(from_types.kind, from_dwarf.kind)
      << path << " " << from_types.ToString() << " vs " << from_dwarf.ToString();
  EXPECT_EQ(from_types.size, from_dwarf.size) << path;
  if (from_types.kind != Type::Kind::kStruct) return;
  ASSERT_EQ(from_types.fields.size(), from_dwarf.fields.size()) << path;
  for (size_t i = 0; i < from_types.fields.size(); ++i) {
    const dwarf::Field& a = from_types.fields[i];
    const dwarf::Field& b = from_dwarf.fields[i];
    EXPECT_EQ(a.name, b.name) << path;
    EXPECT_EQ(a.offset, b.offset) << path << "." << a.name;
    EXPECT_EQ(a.type->name, b.type->name) << path << "." << a.name;
    ExpectSameShape(*a.type, *b.type, path + "." + a.name);
  }
}

TEST_P(TypeDataMatrix, NamedTypesMatchTheUnstrippedBuildsDwarf) {
  auto stripped = gobin::Binary::Open(FixturePath("named-go" + GetParam() + ".stripped"));
  auto unstripped = gobin::Binary::Open(FixturePath("named-go" + GetParam() + ".default"));
  ASSERT_TRUE(stripped.ok() && unstripped.ok());
  auto dwarf = (*unstripped)->dwarf();
  ASSERT_TRUE(dwarf.ok()) << dwarf.status().message();
  auto data = TypeData::Load(**stripped);
  ASSERT_TRUE(data.ok()) << data.status().message();
  TypeArena arena;
  for (const char* name : {"main.Point", "main.Request", "main.TraceKey", "main.Level",
                           "time.Duration", "io.Writer"}) {
    auto laid_out = (*data)->Find(name, arena);
    ASSERT_TRUE(laid_out.ok()) << name << ": " << laid_out.status().message();
    EXPECT_EQ((*laid_out)->name, name);
    const Type* truth = (*dwarf)->FindType(name);
    ASSERT_NE(truth, nullptr) << name;
    ExpectSameShape(**laid_out, *truth, name);
  }
}

INSTANTIATE_TEST_SUITE_P(Go, TypeDataMatrix,
                         ::testing::Values("1.19", "1.21", "1.22", "1.23", "1.24", "1.25", "1.26",
                                           "1.27"),
                         [](const auto& info) {
                           std::string name = "go" + info.param;
                           std::erase(name, '.');
                           return name;
                         });

TEST(TypeData, UnknownAndMisplacedNamesSayWhatExists) {
  auto binary = gobin::Binary::Open(FixturePath("named-go1.27.stripped"));
  ASSERT_TRUE(binary.ok());
  auto data = TypeData::Load(**binary);
  ASSERT_TRUE(data.ok());
  TypeArena arena;
  auto missing = (*data)->Find("main.Requets", arena);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nearest: main.Request"), std::string::npos)
      << missing.status().message();
  // The import path must be the type's own package.
  auto elsewhere = (*data)->Find("example.com/other/main.Request", arena);
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_NE(elsewhere.status().message().find("from another package"), std::string::npos)
      << elsewhere.status().message();
  auto with_path = (*data)->Find("gotap.test/fixtures/named/main.Point", arena);
  EXPECT_FALSE(with_path.ok());  // main's path is "main", not the directory
  auto main_point = (*data)->Find("main.Point", arena);
  EXPECT_TRUE(main_point.ok());
}

// A whole signature: by-value names get their layout, everything else is kept.
TEST(TypeData, LaysOutASignaturesNamedValues) {
  auto binary = gobin::Binary::Open(FixturePath("named-go1.19.stripped"));
  ASSERT_TRUE(binary.ok());
  auto data = TypeData::Load(**binary);
  ASSERT_TRUE(data.ok());
  auto selector =
      ParseSelector("main.place(p main.Point, r main.Request, q *main.Point) main.Point");
  ASSERT_TRUE(selector.ok()) << selector.status().message();
  EXPECT_TRUE(HasUnresolvedTypes(*selector->signature));
  TypeArena arena;
  auto laid_out = LayOutNamedTypes(*selector->signature, **data, arena);
  ASSERT_TRUE(laid_out.ok()) << laid_out.status().message();
  EXPECT_FALSE(HasUnresolvedTypes(*laid_out));
  EXPECT_EQ(laid_out->params[1].type->kind, Type::Kind::kStruct);
  EXPECT_EQ(laid_out->params[1].type->fields.size(), 6u);
  EXPECT_EQ(laid_out->params[2].type, selector->signature->params[2].type);  // behind a pointer
  auto bad = ParseSelector("main.place(p main.Pointt)");
  ASSERT_TRUE(bad.ok());
  auto failed = LayOutNamedTypes(*bad->signature, **data, arena);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message().rfind("parameter p: type main.Pointt is not in", 0), 0u)
      << failed.status().message();
}

}  // namespace
}  // namespace gotap::probe
