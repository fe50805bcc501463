// Live tracing (root, real BPF) of context.Context and error values: every link of a context
// chain (values, cancel state, deadlines), errors with their wrapped errors, and contexts lent
// by a caller (--ctx-from) to 50 goroutines at once. Over the whole Go version matrix
// (build/fixtures/matrix.txt): the default build, the stripped one, where the user writes the
// signature and types come from the runtime's type data alone, and the PIE builds, loaded at an
// address known only at run time. Every check runs on every build: 54 runs took 36 s on a
// loaded 2-core machine, little enough that no release gets a lighter check.
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "../fixture_matrix.h"
#include "trace_events.h"

namespace gotap::testing {
namespace {

// One line per link: "value requestID:string=\"abc-123\"", "cancel done=true err=...",
// "timer 2030-01-02T03:04:05Z done=false", "background".
std::string Links(const Json& value) {
  std::string out;
  if (!value.is_object() || !value.contains("context")) return "<no context: " + value.dump() + ">";
  for (const Json& l : value["context"]) {
    std::string kind = l.value("kind", "?");
    std::string line = kind;
    if (kind == "value") {
      line += " " + l.value("key", "") + ":" + l.value("key_type", "") + "=" +
              l.value("value_text", "");
    }
    if (l.contains("deadline")) line += " " + l["deadline"].get<std::string>();
    if (l.contains("done"))
      line += std::string(" done=") + (l["done"].get<bool>() ? "true" : "false");
    if (l.contains("err")) line += " err=" + l["err"].get<std::string>();
    out += line + "\n";
  }
  if (value.contains("stopped")) out += "stopped " + value["stopped"].get<std::string>() + "\n";
  return out;
}

const char kUserAndRequest[] =
    "value user:main.ctxKey=42\n"
    "value requestID:string=\"abc-123\"\n"
    "background\n";

// The ctxerr builds of every Go release, each run by the checks below.
std::vector<MatrixFixture> CtxerrBuilds() {
  return MatrixFixtures("ctxerr", {"default", "stripped", "pie"});
}

// `name` where DWARF gives the types, `signature` for the stripped build.
std::string Probe(const MatrixFixture& b, const std::string& name, const std::string& signature) {
  return b.variant == "stripped" ? signature : name;
}

void CheckContexts(const std::string& path, const std::string& probe) {
  TraceRun t = RunTraceJson({probe, "--", path, "ctx"});
  ExpectCleanRun(t, 9);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(t.run.out, m, std::regex("deadline7 (\\d+)"))) << t.run.out;
  int64_t deadline7 = std::stoll(m[1]);
  std::map<int64_t, Json> by_n;
  for (const Json& e : t.events) by_n[ValueOf(e, "args", "n").get<int64_t>()] = e;
  ASSERT_EQ(by_n.size(), 9u);
  auto ctx = [&](int n) { return ValueOf(by_n[n], "args", "ctx"); };
  auto result = [&](int n) { return ValueOf(by_n[n], "results", "r0"); };

  EXPECT_EQ(Links(ctx(0)), "background\n");
  // Go names Background's type differently across releases; the program printed it (%T).
  ASSERT_TRUE(std::regex_search(t.run.out, m, std::regex("type0 ([^\n]+)"))) << t.run.out;
  EXPECT_EQ(ctx(0)["type"], m[1].str());
  EXPECT_EQ(Links(ctx(1)), "todo\n");
  EXPECT_EQ(Links(ctx(2)), "value requestID:string=\"abc-123\"\nbackground\n");
  EXPECT_EQ(Links(ctx(3)), kUserAndRequest);
  EXPECT_EQ(Links(ctx(4)), std::string("cancel done=false\n") + kUserAndRequest);
  EXPECT_EQ(Links(ctx(5)),
            std::string("cancel done=true err=context canceled\n") + kUserAndRequest);
  EXPECT_EQ(result(5)["error"], "context canceled");
  EXPECT_EQ(result(4), Json()) << by_n[4].dump();
  EXPECT_EQ(Links(ctx(6)),
            std::string("timer 2030-01-02T03:04:05Z done=false\n") + kUserAndRequest);
  // Five links above Background, the deadline of the innermost read at the probe to the ns.
  Json c7 = ctx(7);
  ASSERT_EQ(c7["context"].size(), 6u) << c7.dump();
  EXPECT_EQ(c7["context"][0]["deadline_unix_ns"], deadline7);
  int64_t left = c7["context"][0]["remaining_ns"];
  EXPECT_GT(left, 3590'000'000'000) << left;
  EXPECT_LE(left, 3600'000'000'000) << left;
  std::string rest = Links(c7).substr(Links(c7).find('\n') + 1);
  EXPECT_EQ(rest, std::string("value span:main.ctxKey=\"s-1\"\n"
                              "timer 2030-01-02T03:04:05Z done=false\n") +
                      kUserAndRequest);
  Json c8 = ctx(8);
  ASSERT_EQ(c8["context"].size(), 2u) << c8.dump();
  EXPECT_EQ(c8["context"][0]["done"], true);
  EXPECT_EQ(c8["context"][0]["err"], "context deadline exceeded");
  EXPECT_LE(c8["context"][0]["remaining_ns"].get<int64_t>(), 0);
  EXPECT_EQ(result(8)["error"], "context deadline exceeded");
  EXPECT_EQ(result(8)["type"], "context.deadlineExceededError");
}

class CtxMatrixBpf : public ::testing::TestWithParam<MatrixFixture> {};

TEST(CtxMatrix, ListsEveryToolchain) { EXPECT_GE(CtxerrBuilds().size(), 16u); }

TEST_P(CtxMatrixBpf, ContextChains) {
  CheckContexts(GetParam().path,
                Probe(GetParam(), "main.handle", "main.handle(ctx context.Context, n int) error"));
}

// The text form: one chain per line, in Go's order from the innermost context out.
TEST(CtxValuesBpf, ContextChainAsText) {
  RunResult r = RunGotapWithin({"trace", "main.handle", "--", Fixture("ctxerr.default"), "ctx"},
                               std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string want[] = {
      "main.handle(ctx=context{background}, n=0) → nil  ",
      "main.handle(ctx=context{cancel(done: context canceled) → value main.ctxKey(\"user\")=42 → "
      "value requestID=\"abc-123\" → background}, n=5) → error(\"context canceled\")  ",
      "main.handle(ctx=context{timer(deadline 2030-01-02T03:04:05Z, in ",
  };
  for (const std::string& w : want)
    EXPECT_NE(r.out.find(w), std::string::npos) << w << "\n" << r.out;
}

void CheckErrors(const std::string& path, const std::string& probe) {
  TraceRun t = RunTraceJson({probe, "--", path, "errs"});
  ExpectCleanRun(t, 5);
  ASSERT_EQ(t.events.size(), 5u);
  const std::string types[] = {"", "*errors.errorString", "*fmt.wrapError", "*fs.PathError",
                               "*fmt.wrapError"};
  for (const Json& e : t.events) {
    int64_t i = ValueOf(e, "args", "i");
    Json err = ValueOf(e, "results", "r0");
    // The program prints each error with %v: gotap must spell the same message.
    std::smatch m;
    std::string pattern = "check" + std::to_string(i) + " ([^\n]*)";
    ASSERT_TRUE(std::regex_search(t.run.out, m, std::regex(pattern))) << t.run.out;
    if (i == 0) {
      EXPECT_EQ(err, Json()) << e.dump();
      continue;
    }
    EXPECT_EQ(err["error"], m[1].str()) << e.dump();
    EXPECT_EQ(err["type"], types[i]) << e.dump();
  }
}

TEST_P(CtxMatrixBpf, Errors) {
  CheckErrors(GetParam().path, Probe(GetParam(), "main.check", "main.check(i int) error"));
}

// 50 goroutines, each serving its own request: every helper call (which takes no context) sees
// the request id of the serve call above it on its goroutine, never another's.
void CheckLentContexts(const std::string& path, const std::string& lender,
                       const std::string& probe) {
  TraceRun t =
      RunTraceJson({"--ctx-from", lender, "--ctx-key", "requestID", probe, "--", path, "scope"});
  ExpectCleanRun(t, 150);
  ASSERT_EQ(t.events.size(), 150u);
  std::map<int64_t, int> calls;
  for (const Json& e : t.events) {
    EXPECT_EQ(e["func"], "main.helper");
    int64_t n = ValueOf(e, "args", "n");
    Json lent = ValueOf(e, "args", "caller_ctx");
    EXPECT_EQ(lent["key"], "requestID") << e.dump();
    EXPECT_EQ(lent["value"], "req-" + std::to_string(n)) << e.dump();
    ++calls[n];
  }
  EXPECT_EQ(calls.size(), 50u);
  for (const auto& [n, c] : calls) EXPECT_EQ(c, 3) << n;
}

TEST_P(CtxMatrixBpf, HelperSeesItsHandlersRequestId) {
  CheckLentContexts(GetParam().path,
                    Probe(GetParam(), "main.serve", "main.serve(ctx context.Context, id int)"),
                    Probe(GetParam(), "main.helper", "main.helper(n int) int"));
}

INSTANTIATE_TEST_SUITE_P(Ctxerr, CtxMatrixBpf, ::testing::ValuesIn(CtxerrBuilds()),
                         [](const auto& info) { return info.param.Name(); });

// Two lenders nest: serveNested lends req-N, middleware (called by it) lends mw-N. The helper
// call inside middleware sees mw-N; those before and after it see req-N, also once the inner
// loan has ended.
TEST(CtxScopeBpf, NestedLendersEachSeenInTheirScope) {
  TraceRun t =
      RunTraceJson({"--ctx-from", "main.serveNested", "--ctx-from", "main.middleware", "--ctx-key",
                    "requestID", "main.helper", "--", Fixture("ctxerr.default"), "nested"});
  ExpectCleanRun(t, 60);
  ASSERT_EQ(t.events.size(), 60u);
  std::map<int64_t, std::string> seen;
  for (const Json& e : t.events) {
    int64_t n = ValueOf(e, "args", "n");
    Json lent = ValueOf(e, "args", "caller_ctx");
    ASSERT_TRUE(lent.contains("value")) << e.dump();
    seen[n] = lent["value"].is_string() ? lent["value"].get<std::string>() : lent.dump();
  }
  ASSERT_EQ(seen.size(), 60u);
  for (int64_t id = 0; id < 20; ++id) {
    SCOPED_TRACE(id);
    EXPECT_EQ(seen[id * 10], "req-" + std::to_string(id));
    EXPECT_EQ(seen[id * 10 + 1], "mw-" + std::to_string(id));
    EXPECT_EQ(seen[id * 10 + 2], "req-" + std::to_string(id));
  }
}

// Outside a lender's call there is nothing to lend: check, called from main, gets a nil context.
TEST(CtxScopeBpf, NothingLentOutsideTheLender) {
  TraceRun t = RunTraceJson(
      {"--ctx-from", "main.serve", "main.check", "--", Fixture("ctxerr.default"), "errs"});
  ExpectCleanRun(t, 5);
  ASSERT_EQ(t.events.size(), 5u);
  for (const Json& e : t.events) {
    Json lent = Field(e, "args", "caller_ctx");
    EXPECT_EQ(lent["type"], "context.Context") << e.dump();
    EXPECT_EQ(lent["value"], Json()) << e.dump();
  }
}

}  // namespace
}  // namespace gotap::testing
