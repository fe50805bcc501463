// Contexts in a program with more struct types than the kernel's recipe map holds (manytypes:
// 3,000 generated message types, as a large server links): string-kind keys, zero-size struct
// keys (gRPC's streamKey{} shape), a timeout over a cancel, a wrapped error of the program's own
// type and a cancel's cause (WithCancelCause) still read as Go names them, on every stripped build
// of the matrix; --ctx-key finds a key by its text or by its type's name, with or without the
// import path.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "go_matrix.h"
#include "run_gotap.h"
#include "trace_events.h"

namespace gotap::testing {
namespace {

constexpr const char* kHandle = "main.handle(ctx context.Context, id int) error";

class TraceContextsAtScaleBpf : public GoMatrixTest {};
GOTAP_ON_GO_MATRIX(TraceContextsAtScaleBpf, "stripped");

RunResult Trace(const std::vector<std::string>& flags, const std::string& binary) {
  std::vector<std::string> args = {"trace"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {kHandle, "--", binary, "-n", "2"});
  return RunGotapWithin(args, std::chrono::seconds(60));
}

TEST_P(TraceContextsAtScaleBpf, KeysAndKindsReadAsGoNamesThem) {
  RunResult r = Trace({}, GoFixture("manytypes"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_NE(r.out.find("types 3000\n"), std::string::npos) << r.out;
  // More of the program's structs than recipes: said once, and the contexts do not suffer.
  EXPECT_NE(r.err.find("of the program's struct types print by name only"), std::string::npos)
      << r.err;
  for (int i = 0; i < 2; ++i) {
    const std::string want = fmt::format(
        "→ value request-id=\"r-{0}\" → value main.TraceKey(\"trace\")=\"t-{0}\" → value "
        "main.streamKey{{}}=\"stream-{0}\" → cancel(not done) → background}}, id={0})",
        i);
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("ctx=context{timer(deadline "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(", id=1) → error(\"handle 1: odd id\")"), std::string::npos) << r.out;
  // Canceled with a cause (Go 1.20+), which Go's context.Cause returns; before, no cause.
  const bool causes = GetParam().version != "1.19";
  EXPECT_NE(r.out.find(causes ? "handle 100 <nil> shutdown" : "handle 100 <nil> context canceled"),
            std::string::npos)
      << r.out;
  const std::string canceled =
      causes ? "cancel(done: context canceled, cause: shutdown)" : "cancel(done: context canceled)";
  EXPECT_NE(r.out.find("main.handle(ctx=context{" + canceled +
                       " → value main.TraceKey(\"trace\")=\"t-c\" → background}, id=100) → nil"),
            std::string::npos)
      << r.out;
}

TEST_P(TraceContextsAtScaleBpf, CtxKeyByTextOrByTypeName) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"main.streamKey", "ctx=main.streamKey=\"stream-0\", id=0"},
      {"gotap.test/fixtures/manytypes/main.streamKey",
       "ctx=gotap.test/fixtures/manytypes/main.streamKey=\"stream-0\", id=0"},
      {"trace", "ctx=trace=\"t-0\", id=0"},
      {"request-id", "ctx=request-id=\"r-0\", id=0"},
      {"main.Missing", "ctx=<no main.Missing>, id=0"},
  };
  for (const auto& [key, want] : cases) {
    RunResult r = Trace({"--ctx-key", key}, GoFixture("manytypes"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(want), std::string::npos) << key << "\n" << r.out;
  }
}

}  // namespace
}  // namespace gotap::testing
