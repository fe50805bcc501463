// The runtime type data of gotap's ctxerr fixture as every Go toolchain of the matrix builds it
// (default, stripped, PIE): the error and context types gotap decodes are found, DWARF (where
// present) names the same descriptors, and the layouts gotap assumes for each version are the
// sizes the type data gives. Go 1.27 moved the typelinks and itabs out of their sections.
#include <gtest/gtest.h>

#include <algorithm>

#include "../fixture_matrix.h"
#include "decode/iface.h"
#include "gobin/binary.h"
#include "gobin/rtype.h"

namespace gotap::gobin {
namespace {

using testing::MatrixFixture;

// Dynamic types ctxerr itself creates (errors.New, fmt.Errorf("%w"), os.Open,
// context.WithValue/WithCancel/WithTimeout), so every build of it has their descriptors.
const char* const kMadeByCtxerr[] = {"*errors.errorString", "*fmt.wrapError",
                                     "*fs.PathError",       "*context.valueCtx",
                                     "*context.cancelCtx",  "*context.timerCtx"};

std::vector<MatrixFixture> Cases() {
  return testing::MatrixFixtures("ctxerr", {"default", "stripped", "pie"});
}

class RuntimeTypesMatrixTest : public ::testing::TestWithParam<MatrixFixture> {
 protected:
  void SetUp() override {
    auto binary = Binary::Open(GetParam().path);
    ASSERT_TRUE(binary.ok()) << binary.status().ToString();
    binary_ = std::move(binary).value();
    auto types = RuntimeTypes::Load(*binary_);
    ASSERT_TRUE(types.ok()) << types.status().ToString();
    types_.emplace(std::move(types).value());
    for (const decode::ShapeRecipe& s : decode::BuiltinShapes(binary_->go_major_minor())) {
      shapes_.push_back(s);
      names_.insert(s.type_name);
      if (!s.child_ptr_type.empty()) names_.insert(s.child_ptr_type);
    }
    found_ = types_->FindTypes(names_);
  }

  std::unique_ptr<Binary> binary_;
  std::optional<RuntimeTypes> types_;
  std::vector<decode::ShapeRecipe> shapes_;
  std::set<std::string> names_;
  std::map<std::string, uint64_t> found_;
};

TEST(GoMatrix, ListsEveryToolchainForCtxerr) {
  std::set<std::string> versions;
  for (const MatrixFixture& b : Cases()) versions.insert(b.version);
  EXPECT_GE(versions.size(), 8u) << "build/fixtures/matrix.txt missing or short";
}

TEST_P(RuntimeTypesMatrixTest, FindsTheErrorAndContextTypesGotapDecodes) {
  EXPECT_FALSE(types_->TypelinkTypes().empty());
  EXPECT_FALSE(types_->ItabAddresses().empty());
  for (const char* name : kMadeByCtxerr) {
    ASSERT_TRUE(names_.count(name)) << name << " is not a shape gotap decodes";
    EXPECT_TRUE(found_.count(name)) << name;
  }
  for (const auto& [name, vaddr] : found_) {
    auto t = types_->TypeAt(vaddr);
    ASSERT_TRUE(t.has_value()) << name;
    EXPECT_EQ(t->name, name);
    if (t->kind != GoKind::kPointer) continue;
    // A pointer is stored in the interface word itself (Go 1.26 moved this flag to tflag).
    EXPECT_TRUE(t->direct_iface) << name;
    ASSERT_TRUE(t->elem.has_value()) << name;
    auto elem = types_->TypeAt(*t->elem);
    ASSERT_TRUE(elem.has_value()) << name;
    EXPECT_EQ(elem->name, name.substr(1));
  }
}

// The bytes gotap copies for each shape are the struct as this Go version lays it out: all of
// it for contexts (their parent and deadline sit at fixed places in it), at most all of it for
// errors.
TEST_P(RuntimeTypesMatrixTest, ShapeCopiesMatchTheStructSizes) {
  for (const decode::ShapeRecipe& s : shapes_) {
    auto it = found_.find(s.type_name);
    // copy_len 0: identified by its address alone (*context.emptyCtx), nothing is read.
    if (it == found_.end() || s.type_name[0] != '*' || s.copy_len == 0) continue;
    auto ptr = types_->TypeAt(it->second);
    ASSERT_TRUE(ptr && ptr->elem) << s.type_name;
    auto st = types_->TypeAt(*ptr->elem);
    ASSERT_TRUE(st.has_value()) << s.type_name;
    if (s.type_name.starts_with("*context.")) {
      EXPECT_EQ(s.copy_len, st->size) << s.type_name;
    } else {
      EXPECT_LE(s.copy_len, st->size) << s.type_name;
    }
    if (s.type_name == "*context.cancelCtx") {
      // The error: where the shape reads it, and as an eface iff it is an atomic.Value (1.25+).
      auto fields = types_->Fields(*ptr->elem);
      ASSERT_TRUE(fields.has_value());
      auto err = std::find_if(fields->begin(), fields->end(),
                              [](const StructField& f) { return f.name == "err"; });
      ASSERT_NE(err, fields->end());
      ASSERT_GE(s.err_child, 0);
      EXPECT_EQ(s.children.at(s.err_child), err->offset);
      auto err_type = types_->TypeAt(err->type);
      ASSERT_TRUE(err_type.has_value());
      EXPECT_EQ(err_type->name == "atomic.Value", ((s.child_eface >> s.err_child) & 1) != 0)
          << err_type->name;
    }
    if (s.deadline_at != 0) {
      auto fields = types_->Fields(*ptr->elem);
      ASSERT_TRUE(fields.has_value()) << s.type_name;
      ASSERT_FALSE(fields->empty());
      EXPECT_EQ(fields->back().name, "deadline") << s.type_name;
      EXPECT_EQ(fields->back().offset, s.deadline_at) << s.type_name;
    }
  }
}

// DW_AT_go_runtime_type names the descriptor of each Go type: the same one FindTypes returns.
TEST_P(RuntimeTypesMatrixTest, DwarfNamesTheSameDescriptors) {
  if (GetParam().variant == "stripped") {
    EXPECT_FALSE(binary_->has_dwarf());
    return;  // nothing to compare against; the test above covers it
  }
  auto dwarf = binary_->dwarf();
  ASSERT_TRUE(dwarf.ok()) << dwarf.status().ToString();
  // Every descriptor gotap found is the one DWARF names; the types ctxerr makes are in both.
  std::set<std::string> compared;
  for (const auto& [name, vaddr] : found_) {
    const dwarf::Type* t = (*dwarf)->FindType(name);
    if (t == nullptr || t->runtime_type == 0) continue;
    // An offset from `types`, or (some Go 1.19 types) the link-time address itself.
    uint64_t want = t->runtime_type < types_->etypes() - types_->types()
                        ? types_->types() + t->runtime_type
                        : t->runtime_type;
    EXPECT_EQ(vaddr, want) << name;
    auto described = types_->TypeAt(want);
    ASSERT_TRUE(described.has_value()) << name;
    EXPECT_EQ(described->size, t->size) << name;
    compared.insert(name);
  }
  // DWARF spells some with the full import path ("*io/fs.PathError"): those are not compared.
  size_t made = 0;
  for (const char* name : kMadeByCtxerr) {
    if ((*dwarf)->FindType(name) == nullptr) continue;
    EXPECT_TRUE(compared.count(name)) << name;
    ++made;
  }
  EXPECT_GE(made, std::size(kMadeByCtxerr) - 1);
}

INSTANTIATE_TEST_SUITE_P(Ctxerr, RuntimeTypesMatrixTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.Name(); });

}  // namespace
}  // namespace gotap::gobin
