// Runtime type data in a PIE build: the linker names its tables .data.rel.ro.typelink and
// .data.rel.ro.itablink and every pointer in them is a relocation. The same program's types
// must be found by name as in the non-PIE build, with the same names, kinds and sizes.
#include <gtest/gtest.h>

#include "gobin/binary.h"
#include "gobin/rtype.h"
#include "test_paths.h"

namespace gotap::gobin {
namespace {

TEST(RuntimeTypesPie, FindsTheTypesTheDefaultBuildHas) {
  const std::set<std::string> names = {
      "*context.emptyCtx",   "*context.valueCtx", "*context.cancelCtx", "*context.timerCtx",
      "*errors.errorString", "*fmt.wrapError",    "*fs.PathError",      "main.ctxKey"};
  auto pie = Binary::Open(testing::FixturePath("ctxerr.pie"));
  auto plain = Binary::Open(testing::FixturePath("ctxerr.default"));
  ASSERT_TRUE(pie.ok()) << pie.status().ToString();
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  ASSERT_TRUE((*pie)->elf().is_position_independent());
  auto pie_types = RuntimeTypes::Load(**pie);
  auto plain_types = RuntimeTypes::Load(**plain);
  ASSERT_TRUE(pie_types.ok()) << pie_types.status().ToString();
  ASSERT_TRUE(plain_types.ok()) << plain_types.status().ToString();
  auto in_pie = pie_types->FindTypes(names);
  auto in_plain = plain_types->FindTypes(names);
  EXPECT_EQ(in_plain.size(), names.size());
  ASSERT_EQ(in_pie.size(), in_plain.size());
  for (const auto& [name, vaddr] : in_pie) {
    SCOPED_TRACE(name);
    auto a = pie_types->TypeAt(vaddr);
    auto b = plain_types->TypeAt(in_plain.at(name));
    ASSERT_TRUE(a.has_value());
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(a->name, name);
    EXPECT_EQ(a->kind, b->kind);
    EXPECT_EQ(a->size, b->size);
    EXPECT_EQ(a->elem.has_value(), b->elem.has_value());
    if (a->elem) {
      // The pointee, read through a relocated word, is the same type.
      auto ea = pie_types->TypeAt(*a->elem);
      ASSERT_TRUE(ea.has_value());
      EXPECT_EQ(ea->name, plain_types->TypeAt(*b->elem)->name);
    }
  }
}

}  // namespace
}  // namespace gotap::gobin
