// The Type model's own logic: runtime kinds, names and printing.
#include "dwarf/type.h"

#include <gtest/gtest.h>

namespace gotap::dwarf {
namespace {

TEST(DwarfTypeTest, KindFromGoKind) {
  EXPECT_EQ(KindFromGoKind(1), Type::Kind::kBool);
  EXPECT_EQ(KindFromGoKind(2), Type::Kind::kInt);    // int
  EXPECT_EQ(KindFromGoKind(6), Type::Kind::kInt);    // int64
  EXPECT_EQ(KindFromGoKind(7), Type::Kind::kUint);   // uint
  EXPECT_EQ(KindFromGoKind(11), Type::Kind::kUint);  // uint64
  EXPECT_EQ(KindFromGoKind(12), Type::Kind::kUintptr);
  EXPECT_EQ(KindFromGoKind(14), Type::Kind::kFloat);  // float64
  EXPECT_EQ(KindFromGoKind(16), Type::Kind::kComplex);
  EXPECT_EQ(KindFromGoKind(17), Type::Kind::kArray);
  EXPECT_EQ(KindFromGoKind(18), Type::Kind::kChan);
  EXPECT_EQ(KindFromGoKind(19), Type::Kind::kFunc);
  EXPECT_EQ(KindFromGoKind(20), Type::Kind::kInterface);
  EXPECT_EQ(KindFromGoKind(21), Type::Kind::kMap);
  EXPECT_EQ(KindFromGoKind(22), Type::Kind::kPointer);
  EXPECT_EQ(KindFromGoKind(23), Type::Kind::kSlice);
  EXPECT_EQ(KindFromGoKind(24), Type::Kind::kString);
  EXPECT_EQ(KindFromGoKind(25), Type::Kind::kStruct);
  EXPECT_EQ(KindFromGoKind(26), Type::Kind::kUnsafePointer);
  EXPECT_EQ(KindFromGoKind(0), Type::Kind::kOther);
  EXPECT_EQ(KindFromGoKind(27), Type::Kind::kOther);
  EXPECT_EQ(KindFromGoKind(0x41), Type::Kind::kOther);  // kind byte with flag bits is not a kind
}

TEST(DwarfTypeTest, ToStringAndFindField) {
  Type int_type;
  int_type.kind = Type::Kind::kInt;
  int_type.name = "int";
  int_type.size = 8;
  Type node;
  node.kind = Type::Kind::kStruct;
  node.name = "main.Node";
  node.size = 16;
  Type pointer;
  pointer.kind = Type::Kind::kPointer;
  pointer.name = "*main.Node";
  pointer.size = 8;
  pointer.elem = &node;
  node.fields = {Field{.name = "next", .offset = 0, .type = &pointer, .embedded = false},
                 Field{.name = "val", .offset = 8, .type = &int_type, .embedded = false}};
  EXPECT_EQ(node.ToString(), "struct main.Node size=16 {next@0:*main.Node; val@8:int}");
  EXPECT_EQ(pointer.ToString(), "pointer *main.Node size=8 elem=main.Node");
  ASSERT_NE(node.FindField("val"), nullptr);
  EXPECT_EQ(node.FindField("val")->offset, 8u);
  EXPECT_EQ(node.FindField("missing"), nullptr);
  EXPECT_STREQ(KindName(Type::Kind::kEmptyInterface), "empty-interface");
}

}  // namespace
}  // namespace gotap::dwarf
