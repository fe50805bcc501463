// pc -> file:line and inlined frames from pclntab (gobin::Symbolizer, used by the goroutine
// unwinder), in every pclntab format the npm binaries cover, and against the fixture's source.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "gobin/binary.h"
#include "gobin/symbolizer.h"
#include "test_paths.h"

namespace gotap::gobin {
namespace {

std::unique_ptr<Binary> Open(const std::string& path) {
  auto b = Binary::Open(path);
  EXPECT_TRUE(b.ok()) << path << ": " << b.status().ToString();
  return b.ok() ? std::move(b).value() : nullptr;
}

// The 1-based line of the fixture source that contains `text`.
int LineOf(const std::string& text) {
  std::ifstream in(std::string(GOTAP_SOURCE_DIR) + "/tests/fixtures/go/gstates/main.go");
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find(text) != std::string::npos) return n;
  }
  return -1;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

TEST(GoroutinesSymbolizer, FixtureLinesAndInlining) {
  for (const char* name : {"gstates.default", "gstates.stripped"}) {
    SCOPED_TRACE(name);
    auto binary = Open(testing::FixturePath(name));
    ASSERT_NE(binary, nullptr);
    auto sym = Symbolizer::Create(*binary);
    ASSERT_TRUE(sym.ok()) << sym.status().ToString();

    auto receiver = binary->FindFunctions("main.chanReceiver");
    ASSERT_FALSE(receiver.empty());
    auto frames = sym->FramesAt(receiver[0]->entry);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].function, "main.chanReceiver");
    EXPECT_TRUE(EndsWith(frames[0].pos.file, "/gstates/main.go")) << frames[0].pos.file;
    EXPECT_EQ(frames[0].pos.line, LineOf("func chanReceiver("));

    // Somewhere in viaInline, blockInline's body runs inlined: two frames at one pc.
    auto via = binary->FindFunctions("main.viaInline");
    ASSERT_FALSE(via.empty());
    bool saw_inlined = false;
    for (uint64_t pc = via[0]->entry; pc < via[0]->end && !saw_inlined; ++pc) {
      auto f = sym->FramesAt(pc);
      if (f.size() != 2) continue;
      saw_inlined = true;
      EXPECT_EQ(f[0].function, "main.blockInline");
      EXPECT_TRUE(f[0].inlined);
      EXPECT_EQ(f[0].pos.line, LineOf("func blockInline("));
      EXPECT_EQ(f[1].function, "main.viaInline");
      EXPECT_FALSE(f[1].inlined);
      EXPECT_EQ(f[1].pos.line, LineOf("func viaInline("));
    }
    EXPECT_TRUE(saw_inlined);
    EXPECT_TRUE(sym->FramesAt(1).empty());  // no function there
  }
}

TEST(GoroutinesSymbolizer, EveryPclntabFormat) {
  for (const char* package :
       {"esbuild-linux-64@0.8.0", "esbuild-linux-64@0.8.57", "esbuild-linux-64@0.14.54",
        "@esbuild+linux-x64@0.20.2", "@esbuild+linux-x64@0.24.2", "@esbuild+linux-arm64@0.24.2"}) {
    SCOPED_TRACE(package);
    auto binary = Open(testing::NpmBinaryPath(package));
    ASSERT_NE(binary, nullptr);
    auto sym = Symbolizer::Create(*binary);
    ASSERT_TRUE(sym.ok()) << sym.status().ToString();
    auto main = binary->FindFunctions("runtime.main");
    ASSERT_FALSE(main.empty());
    auto frames = sym->FramesAt(main[0]->entry);
    ASSERT_FALSE(frames.empty());
    EXPECT_EQ(frames.back().function, "runtime.main");
    EXPECT_TRUE(EndsWith(frames.back().pos.file, "runtime/proc.go")) << frames.back().pos.file;
    EXPECT_GT(frames.back().pos.line, 100);
    EXPECT_EQ(sym->SpDeltaAt(*main[0], main[0]->entry), 0);
    // Every goroutine ends in goexit; its file is the assembly of the target's architecture.
    auto goexit = binary->FindFunctions("runtime.goexit");
    ASSERT_FALSE(goexit.empty());
    auto pos = sym->PosAt(*goexit[0], goexit[0]->entry);
    ASSERT_TRUE(pos.has_value());
    EXPECT_NE(pos->file.find("runtime/asm_"), std::string_view::npos) << pos->file;
    // Inlined frames exist somewhere in runtime.main's callers' world: any function with one.
    size_t with_inlining = 0;
    for (const FuncRecord& f : binary->functions()) {
      if (f.name.substr(0, 5) != "main.") continue;
      for (uint64_t pc = f.entry; pc < f.end && pc < f.entry + 256; pc += 4) {
        if (sym->FramesAt(pc).size() > 1) {
          ++with_inlining;
          break;
        }
      }
    }
    EXPECT_GT(with_inlining, 0u);
  }
}

}  // namespace
}  // namespace gotap::gobin
