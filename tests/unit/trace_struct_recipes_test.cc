// Recipes for the program's own struct types, read from the runtime type data of the ifaces
// fixture (Go 1.19) with and without symbols: which types get one, and the copy length, string
// and interface field offsets of each, which must match the Go layouts of the fixture's types.
#include "trace/struct_recipes.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>

#include "gobin/binary.h"
#include "test_paths.h"
#include "trace/iface_types.h"

namespace gotap::trace {
namespace {

TEST(IsUserPackage, TellsTheProgramsPackagesFromTheStandardLibrarys) {
  EXPECT_TRUE(IsUserPackage("main", ""));
  EXPECT_TRUE(IsUserPackage("github.com/x/y", ""));
  EXPECT_TRUE(IsUserPackage("example/app/store", "example/app"));
  EXPECT_TRUE(IsUserPackage("example/app", "example/app"));
  EXPECT_FALSE(IsUserPackage("example/application", "example/app"));
  EXPECT_FALSE(IsUserPackage("net", "example/app"));
  EXPECT_FALSE(IsUserPackage("internal/poll", ""));
  EXPECT_FALSE(IsUserPackage("vendor/golang.org/x/net/dns/dnsmessage", ""));
  EXPECT_FALSE(IsUserPackage("", ""));
  EXPECT_FALSE(IsUserPackage("go.shape", ""));
}

// A recipe as a line: "copy 40 of 40, strings 8, children 24, eface 0, fields Code:int@0 ...".
std::string Describe(const decode::ShapeRecipe& r) {
  std::string s = "copy " + std::to_string(r.copy_len) + " of " + std::to_string(r.struct_size);
  s += ", strings";
  for (uint16_t o : r.strings) s += " " + std::to_string(o);
  s += ", children";
  for (uint16_t o : r.children) s += " " + std::to_string(o);
  s += ", eface " + std::to_string(r.child_eface);
  if (r.child_ptr != 0) s += ", pointers " + std::to_string(r.child_ptr);
  s += ", fields";
  std::function<void(const std::vector<decode::RecipeField>&)> add =
      [&](const std::vector<decode::RecipeField>& fields) {
        for (const auto& f : fields) {
          s += " " + f.name + ":" + f.type_name + "@" + std::to_string(f.offset);
          if (!f.fields.empty()) {
            s += "{";
            add(f.fields);
            s += " }";
          }
        }
      };
  add(r.fields);
  return s;
}

std::map<std::string, std::string> RecipesOf(const std::string& fixture) {
  std::map<std::string, std::string> out;
  auto binary = gobin::Binary::Open(testing::FixturePath(fixture));
  EXPECT_TRUE(binary.ok()) << binary.status().ToString();
  if (!binary.ok()) return out;
  auto types = IfaceTypes::Build(**binary, 64);
  types->AddUserStructs(**binary, 64);
  EXPECT_TRUE(types->resolves()) << types->note();
  EXPECT_EQ(types->structs_without_recipe(), 0u);
  EXPECT_LE(types->recipes().size(), size_t{GOTAP_IFACE_MAX_RECIPES});
  size_t structs = 0;
  for (const auto& [vaddr, recipe] : types->recipes()) {
    if (vaddr == 0) continue;
    const decode::IfaceType* t = types->Lookup(vaddr);
    EXPECT_NE(t, nullptr) << std::hex << vaddr;
    if (t == nullptr || t->recipe == nullptr) continue;
    if (t->recipe->shape != decode::Shape::kStruct) continue;
    ++structs;
    EXPECT_EQ(t->recipe->type_name, t->name);
    // What the BPF program gets is what the decoder reads back.
    EXPECT_EQ(recipe.copy_len, t->recipe->copy_len) << t->name;
    EXPECT_EQ(recipe.nstrings, t->recipe->strings.size()) << t->name;
    EXPECT_EQ(recipe.nchildren, t->recipe->children.size()) << t->name;
    for (size_t i = 0; i < t->recipe->children.size(); ++i) {
      EXPECT_EQ(recipe.child_off[i], t->recipe->children[i]) << t->name;
      // A pointer field is walked as its pointee, a type the lookup names.
      if ((t->recipe->child_ptr >> i) & 1) {
        EXPECT_TRUE((recipe.child_ptr >> i) & 1) << t->name;
        const decode::IfaceType* pointee = types->Lookup(recipe.child_type[i]);
        EXPECT_NE(pointee, nullptr) << t->name;
        if (pointee == nullptr) continue;
        EXPECT_EQ("*" + pointee->name, t->recipe->fields.empty() ? "" : [&] {
          for (const auto& f : t->recipe->fields) {
            if (f.child_index == static_cast<int>(i)) return f.type_name;
          }
          return std::string();
        }()) << t->name;
      }
    }
    out[t->name] = Describe(*t->recipe);
  }
  EXPECT_EQ(structs, types->struct_recipes());
  return out;
}

void CheckFixtureRecipes(const std::map<std::string, std::string>& r) {
  auto at = [&](const std::string& name) {
    auto it = r.find(name);
    return it == r.end() ? "<no recipe>" : it->second;
  };
  EXPECT_EQ(at("*main.MyErr"),
            "copy 40 of 40, strings 8, children 24, eface 0, fields Code:int@0 Msg:string@8 "
            "Err:error@24");
  EXPECT_EQ(at("main.Point"), "copy 16 of 16, strings, children, eface 0, fields X:int@0 Y:int@8");
  EXPECT_EQ(at("*main.Point"), at("main.Point"));
  EXPECT_EQ(at("main.Labeled"),
            "copy 64 of 64, strings 0, children 48, eface 1, fields Name:string@0 "
            "At:main.Point@16{ X:int@16 Y:int@24 } Ok:bool@32 Ratio:float64@40 "
            "Note:interface {}@48");
  // 344 bytes: cut at 256, so Tail (at 328) is neither copied nor followed.
  EXPECT_EQ(at("*main.Big"),
            "copy 256 of 344, strings 8, children, eface 0, fields ID:int32@0 Title:string@8 "
            "Pad:[300]uint8@24 Tail:string@328");
  EXPECT_EQ(at("*main.Mixed"),
            "copy 48 of 48, strings, children 32, eface 0, pointers 1, fields Tags:[]string@0 "
            "Index:map[string]int@24 Next:*main.Point@32 Count:uint16@40");
  // Only the program's own types: the standard library's structs get none.
  for (const auto& [name, d] : r) {
    EXPECT_TRUE(name.starts_with("main.") || name.starts_with("*main.")) << name;
  }
}

TEST(StructRecipes, FixtureTypes) { CheckFixtureRecipes(RecipesOf("ifaces.default")); }

TEST(StructRecipes, StrippedFixtureHasTheSameRecipes) {
  auto stripped = RecipesOf("ifaces.stripped");
  CheckFixtureRecipes(stripped);
  EXPECT_EQ(stripped, RecipesOf("ifaces.default"));
}

// Room for three recipes: the custom error type (an itab for error) comes first.
TEST(StructRecipes, CapPrefersErrorTypesAndCountsTheRest) {
  auto binary = gobin::Binary::Open(testing::FixturePath("ifaces.default"));
  ASSERT_TRUE(binary.ok()) << binary.status().ToString();
  auto types = gobin::RuntimeTypes::Load(**binary);
  ASSERT_TRUE(types.ok()) << types.status().ToString();
  UserStructs all = FindUserStructs(*types, "gotap.test/fixtures", 512);
  UserStructs few = FindUserStructs(*types, "gotap.test/fixtures", 3);
  ASSERT_EQ(few.recipes.size(), 3u);
  EXPECT_EQ(few.recipes[0].second.type_name, "*main.MyErr");
  EXPECT_EQ(few.left_out, all.recipes.size() - 3);
  EXPECT_EQ(all.left_out, 0u);
  EXPECT_FALSE(StructRecipe(*types, 0x1, "x").has_value());
}

}  // namespace
}  // namespace gotap::trace

namespace gotap::trace {
namespace {

// A large real program (esbuild, Go 1.23, stripped): more struct types of its own than the
// recipe map holds. The map fills up to its cap, the rest is counted, and it stays quick.
TEST(StructRecipes, LargeProgramFillsTheCapAndCountsTheRest) {
  auto binary = gobin::Binary::Open(testing::NpmBinaryPath("@esbuild+linux-x64@0.24.2"));
  ASSERT_TRUE(binary.ok()) << binary.status().ToString();
  auto start = std::chrono::steady_clock::now();
  auto types = IfaceTypes::Build(**binary, 64);
  types->AddUserStructs(**binary, 64);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_EQ(types->recipes().size(), size_t{GOTAP_IFACE_MAX_RECIPES});
  EXPECT_GT(types->struct_recipes(), 400u);
  EXPECT_GT(types->structs_without_recipe(), 0u);
  std::map<std::string, int> shown;  // package name -> recipes
  for (const auto& [vaddr, r] : types->recipes()) {
    const decode::IfaceType* t = vaddr ? types->Lookup(vaddr) : nullptr;
    if (t == nullptr || !t->recipe || t->recipe->shape != decode::Shape::kStruct) continue;
    // Runtime names carry the package name, not its path: none of the standard library's.
    for (const char* std_pkg : {"runtime.", "sync.", "os.", "net.", "fmt.", "reflect.", "go."}) {
      EXPECT_FALSE(t->name.starts_with(std_pkg) || t->name.starts_with(std::string("*") + std_pkg))
          << t->name;
    }
    ++shown[t->name.substr(0, t->name.find('.'))];
    EXPECT_LE(r.copy_len, GOTAP_IFACE_MAX_COPY);
  }
  // esbuild's own packages (js_ast, logger, ...) are the ones with recipes.
  EXPECT_GT(shown["*js_ast"] + shown["js_ast"], 10) << ::testing::PrintToString(shown);
}

}  // namespace
}  // namespace gotap::trace
