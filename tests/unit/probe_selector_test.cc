// ParseSelector: function names (methods, generics, globs), signatures with every supported type
// form, and exact error messages for malformed input.
#include "probe/selector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gotap::probe {
namespace {

using Kind = dwarf::Type::Kind;

Selector MustParse(std::string_view text) {
  auto selector = ParseSelector(text);
  EXPECT_TRUE(selector.ok()) << text << ": " << selector.status().ToString();
  return selector.ok() ? std::move(selector).value() : Selector{};
}

std::string ParseError(std::string_view text) {
  auto selector = ParseSelector(text);
  if (selector.ok()) return "parsed as " + selector->ToString();
  EXPECT_EQ(selector.status().code(), StatusCode::kInvalidArgument);
  return selector.status().message();
}

TEST(ProbeSelectorTest, NamesWithoutSignature) {
  Selector get = MustParse("main.(*Store).Get");
  EXPECT_EQ(get.pattern, "main.(*Store).Get");
  EXPECT_FALSE(get.is_glob);
  EXPECT_FALSE(get.signature.has_value());
  EXPECT_EQ(get.types, nullptr);

  EXPECT_TRUE(MustParse("main.*").is_glob);
  EXPECT_TRUE(MustParse("main.(*Store).*").is_glob);
  EXPECT_TRUE(MustParse("main.fi?").is_glob);
  EXPECT_FALSE(MustParse("main.English.Greet").is_glob);
  EXPECT_EQ(MustParse("  net/http.(*conn).serve \t").pattern, "net/http.(*conn).serve");
  // Generic instantiations, as pclntab and .symtab spell them (brackets may hold spaces and
  // parentheses).
  EXPECT_EQ(MustParse("main.Sum[...]").pattern, "main.Sum[...]");
  EXPECT_EQ(MustParse("main.Map[go.shape.func(int) string_0]").pattern,
            "main.Map[go.shape.func(int) string_0]");
}

TEST(ProbeSelectorTest, SignatureWithNamesAndResultList) {
  Selector swap = MustParse("main.swap(x string, y string) (string, string)");
  EXPECT_EQ(swap.pattern, "main.swap");
  ASSERT_TRUE(swap.signature.has_value());
  ASSERT_NE(swap.types, nullptr);
  const Signature& sig = *swap.signature;
  ASSERT_EQ(sig.params.size(), 2u);
  EXPECT_EQ(sig.params[0].name, "x");
  EXPECT_TRUE(sig.params[0].named);
  EXPECT_EQ(sig.params[1].name, "y");
  EXPECT_EQ(sig.params[1].type->kind, Kind::kString);
  EXPECT_EQ(sig.params[1].type->size, 16u);
  ASSERT_EQ(sig.results.size(), 2u);
  EXPECT_EQ(sig.results[0].name, "r0");
  EXPECT_FALSE(sig.results[0].named);
  EXPECT_EQ(sig.results[1].name, "r1");
  EXPECT_EQ(swap.ToString(), "main.swap(x string, y string) (string, string)");
}

TEST(ProbeSelectorTest, UnnamedParametersAndSingleResult) {
  Selector f = MustParse("main.f(int, string) error");
  const Signature& sig = *f.signature;
  ASSERT_EQ(sig.params.size(), 2u);
  EXPECT_EQ(sig.params[0].name, "arg0");
  EXPECT_FALSE(sig.params[0].named);
  EXPECT_EQ(sig.params[0].type->name, "int");
  EXPECT_EQ(sig.params[1].name, "arg1");
  ASSERT_EQ(sig.results.size(), 1u);
  EXPECT_EQ(sig.results[0].type->kind, Kind::kInterface);
  EXPECT_EQ(sig.results[0].type->size, 16u);
  EXPECT_EQ(f.ToString(), "main.f(int, string) error");
}

TEST(ProbeSelectorTest, MethodNameKeepsItsReceiverGroup) {
  Selector get = MustParse("main.(*Store).Get(k string)");
  EXPECT_EQ(get.pattern, "main.(*Store).Get");
  ASSERT_EQ(get.signature->params.size(), 1u);
  EXPECT_EQ(get.signature->params[0].name, "k");
  EXPECT_TRUE(get.signature->results.empty());

  Selector generic = MustParse("example.com/x/list.(*List[...]).Push (v int)");
  EXPECT_EQ(generic.pattern, "example.com/x/list.(*List[...]).Push");
  EXPECT_EQ(generic.signature->params.size(), 1u);
}

TEST(ProbeSelectorTest, SharedNamesVariadicAndNamedResults) {
  Selector f = MustParse("main.f(x, y int, s []byte, rest ...string) (n int, err error)");
  const Signature& sig = *f.signature;
  ASSERT_EQ(sig.params.size(), 4u);
  EXPECT_EQ(sig.params[0].name, "x");
  EXPECT_EQ(sig.params[0].type->name, "int");
  EXPECT_EQ(sig.params[1].name, "y");
  EXPECT_EQ(sig.params[1].type, sig.params[0].type);
  EXPECT_EQ(sig.params[2].type->name, "[]uint8");
  EXPECT_EQ(sig.params[2].type->kind, Kind::kSlice);
  EXPECT_EQ(sig.params[2].type->elem->name, "uint8");
  EXPECT_EQ(sig.params[3].type->name,
            "[]string");  // variadic: the callee receives a slice
  ASSERT_EQ(sig.results.size(), 2u);
  EXPECT_EQ(sig.results[1].name, "err");
  EXPECT_TRUE(sig.results[1].named);
  EXPECT_EQ(f.ToString(), "main.f(x int, y int, s []uint8, rest []string) (n int, err error)");

  Selector empty = MustParse("main.g()");
  EXPECT_TRUE(empty.signature->params.empty());
  EXPECT_TRUE(empty.signature->results.empty());
  EXPECT_TRUE(MustParse("main.g() ()").signature->results.empty());
}

TEST(ProbeSelectorTest, EveryTypeForm) {
  Selector f = MustParse(
      "main.all(a *int, b [4]int32, c map[string][]int, d chan int, e <-chan int, f chan<- bool, g "
      "func(int, ...string) (string, error), h any, i interface{}, j unsafe.Pointer, k "
      "context.Context, l struct{ a int8; b string }, m uintptr, n complex64, o rune, p "
      "*main.Store, q []main.Item, r map[main.K]*main.V, s interface{ String() string }, t [0]int, "
      "u struct{}, v float32, w uint16, x bool, y int64, z func())");
  struct Want {
    const char* name;
    Kind kind;
    uint64_t size;
  };
  const std::vector<Want> want = {
      {"*int", Kind::kPointer, 8},
      {"[4]int32", Kind::kArray, 16},
      {"map[string][]int", Kind::kMap, 8},
      {"chan int", Kind::kChan, 8},
      {"<-chan int", Kind::kChan, 8},
      {"chan<- bool", Kind::kChan, 8},
      {"func(int, []string) (string, error)", Kind::kFunc, 8},
      {"interface {}", Kind::kEmptyInterface, 16},
      {"interface {}", Kind::kEmptyInterface, 16},
      {"unsafe.Pointer", Kind::kUnsafePointer, 8},
      {"context.Context", Kind::kInterface, 16},
      {"struct { a int8; b string }", Kind::kStruct, 24},
      {"uintptr", Kind::kUintptr, 8},
      {"complex64", Kind::kComplex, 8},
      {"int32", Kind::kInt, 4},
      {"*main.Store", Kind::kPointer, 8},
      {"[]main.Item", Kind::kSlice, 24},
      {"map[main.K]*main.V", Kind::kMap, 8},
      {"interface { String() string }", Kind::kInterface, 16},
      {"[0]int", Kind::kArray, 0},
      {"struct {}", Kind::kStruct, 0},
      {"float32", Kind::kFloat, 4},
      {"uint16", Kind::kUint, 2},
      {"bool", Kind::kBool, 1},
      {"int64", Kind::kInt, 8},
      {"func()", Kind::kFunc, 8},
  };
  const Signature& sig = *f.signature;
  ASSERT_EQ(sig.params.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(sig.params[i].name);
    EXPECT_EQ(sig.params[i].name, std::string(1, static_cast<char>('a' + i)));
    EXPECT_EQ(sig.params[i].type->name, want[i].name);
    EXPECT_EQ(sig.params[i].type->kind, want[i].kind);
    EXPECT_EQ(sig.params[i].type->size, want[i].size);
  }
  const dwarf::Type* l = sig.params[11].type;
  ASSERT_EQ(l->fields.size(), 2u);
  EXPECT_EQ(l->fields[1].name, "b");
  EXPECT_EQ(l->fields[1].offset, 8u);
  EXPECT_EQ(sig.params[1].type->array_length, 4u);
  EXPECT_EQ(sig.params[2].type->key->name, "string");
  EXPECT_EQ(sig.params[15].type->elem->kind,
            Kind::kOther);  // opaque behind a pointer
}

TEST(ProbeSelectorTest, StructLayoutFollowsGo) {
  // Trailing zero-size field: one byte of padding, then rounded to the alignment.
  Selector padded = MustParse("f(s struct{ a int32; z struct{} })");
  EXPECT_EQ(padded.signature->params.at(0).type->size, 8u);
  Selector holes = MustParse("f(s struct{ a int8; b int64; c int16 })");
  EXPECT_EQ(holes.signature->params.at(0).type->size, 24u);

  Selector nested = MustParse("f(s struct{ a byte; b [3]uint16; c complex64 })");
  const dwarf::Type* type = nested.signature->params.at(0).type;
  ASSERT_EQ(type->fields.size(), 3u);
  EXPECT_EQ(type->fields[1].offset, 2u);
  EXPECT_EQ(type->fields[2].offset, 8u);
  EXPECT_EQ(type->size, 16u);

  Selector embedded = MustParse("f(s struct{ context.Context; n, m int })");
  type = embedded.signature->params.at(0).type;
  ASSERT_EQ(type->fields.size(), 3u);
  EXPECT_EQ(type->fields[0].name, "Context");
  EXPECT_TRUE(type->fields[0].embedded);
  EXPECT_EQ(type->fields[2].name, "m");
  EXPECT_EQ(type->fields[2].offset, 24u);
}

TEST(ProbeSelectorTest, PointerReceiverDetection) {
  EXPECT_TRUE(HasPointerReceiver("main.(*Store).Get"));
  EXPECT_TRUE(HasPointerReceiver("net/http.(*conn).serve"));
  EXPECT_TRUE(HasPointerReceiver("example.com/a.b/list.(*List[...]).Push"));
  EXPECT_TRUE(HasPointerReceiver("main.(*Box[go.shape.*uint8_0]).Get"));
  EXPECT_FALSE(HasPointerReceiver("main.English.Greet"));
  EXPECT_FALSE(HasPointerReceiver("main.fib"));
  EXPECT_FALSE(HasPointerReceiver("main.(*Store).Get.func1"));  // closure: receiver captured
  EXPECT_FALSE(HasPointerReceiver("main.(*Store).Get-fm"));     // method value
  EXPECT_FALSE(HasPointerReceiver("main.Sum[...]"));
}

TEST(ProbeSelectorTest, MalformedInputsGiveExactMessages) {
  EXPECT_EQ(ParseError(""), "empty selector");
  EXPECT_EQ(ParseError("main.f(x int"), "expected ')' at column 13");
  EXPECT_EQ(ParseError("main.f(x int, y"), "expected ')' at column 16");
  EXPECT_EQ(ParseError("main.f(x int) (int"), "expected ')' at column 19");
  EXPECT_EQ(ParseError("main.f(x int) int extra"), "unexpected 'extra' at column 19");
  EXPECT_EQ(ParseError("main.f(x int) $"), "unexpected '$' at column 15");
  EXPECT_EQ(ParseError("main.f(x int, []byte)"), "mixed named and unnamed parameters at column 15");
  EXPECT_EQ(ParseError("main.f(x int, y)"), "missing type for 'y' at column 15");
  EXPECT_EQ(ParseError("main.f(x [abc]int)"), "expected an array length or ']' at column 11");
  EXPECT_EQ(ParseError("main.f(x [99999999999999999999]int)"),
            "array length too large at column 11");
  EXPECT_EQ(ParseError("main.f(x map[string)"), "expected ']' at column 20");
  EXPECT_EQ(ParseError("main.f(x <-int)"), "expected 'chan' at column 12");
  EXPECT_EQ(ParseError("main.f(x int,,)"), "expected a type at column 14");
  EXPECT_EQ(ParseError("main.f(...int, x int)"),
            "'...' is only allowed on the last parameter, at column 8");
  EXPECT_EQ(ParseError("main.(*Store.Get(x int)"), "expected ')' at column 24");
  EXPECT_EQ(ParseError("main.Sum[int)"), "expected ']' at column 13");
  EXPECT_EQ(ParseError("main.f)"), "unexpected ')' at column 7");
  EXPECT_EQ(ParseError("(x int)"), "expected a function name at column 1");
  EXPECT_EQ(ParseError("main.f x"), "expected '(' at column 8");
  EXPECT_EQ(ParseError("main.f(x interface{ M()"), "expected '}' at column 24");
  EXPECT_EQ(ParseError("main.f(x " + std::string(40, '*') + "int)"),
            "type nests too deeply at column 43");
  std::string funcs = "main.f(";
  for (int i = 0; i < 40; ++i) funcs += "func(";
  EXPECT_EQ(ParseError(funcs + std::string(41, ')')), "type nests too deeply at column 173");
  const std::string forms = TypeArena::SupportedForms();
  EXPECT_EQ(ParseError("main.f(x Foo)"),
            "unknown type 'Foo' at column 10 (a named type is written with its package, e.g. "
            "main.Foo; a signature can use " +
                forms + ")");
  EXPECT_EQ(ParseError("main.f(x [2]main.T)"),
            "an array of main.T needs its layout at column 13: name the array's own type, or "
            "pass it behind a pointer");
  EXPECT_EQ(ParseError("main.f(Store)"),
            "unknown type 'Store' at column 8 (a named type is written with its package, e.g. "
            "main.Store; a signature can use " +
                forms + ")");
  EXPECT_EQ(ParseError("main.f(w net/http)"),
            "expected PATH.Type (e.g. net/http.Header) at column 10");
  EXPECT_EQ(ParseError("main.f(w net/http.)"),
            "expected PATH.Type (e.g. net/http.Header) at column 10");
  EXPECT_EQ(ParseError("main.f(x map)"), "expected '[' at column 13");
}

// Named types by value and import paths parse to named placeholders that the plan lays out from
// the binary's type data (probe/type_data.h); behind references they stay names.
TEST(ProbeSelectorTest, NamedTypesByPackageOrImportPath) {
  auto selector = ParseSelector(
      "main.handle(w net/http.ResponseWriter, r *net/http.Request, p main.Point, "
      "h []example.com/x-y/v2.Hook) io.Writer");
  ASSERT_TRUE(selector.ok()) << selector.status().message();
  const Signature& sig = *selector->signature;
  ASSERT_EQ(sig.params.size(), 4u);
  EXPECT_EQ(sig.params[0].type->name, "net/http.ResponseWriter");
  EXPECT_TRUE(TypeArena::IsOpaque(*sig.params[0].type));
  EXPECT_EQ(sig.params[1].type->name, "*net/http.Request");
  EXPECT_EQ(sig.params[1].type->kind, dwarf::Type::Kind::kPointer);
  EXPECT_EQ(sig.params[2].type->name, "main.Point");
  EXPECT_TRUE(TypeArena::IsOpaque(*sig.params[2].type));
  EXPECT_EQ(sig.params[3].type->name, "[]example.com/x-y/v2.Hook");
  ASSERT_EQ(sig.results.size(), 1u);
  EXPECT_EQ(sig.results[0].type->name, "io.Writer");
}

}  // namespace
}  // namespace gotap::probe
