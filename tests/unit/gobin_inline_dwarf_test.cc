// Inlined-only functions from pclntab's inline trees against DWARF, on every matrix binary that
// carries DWARF (default, pie, cgo; Go 1.19, 1.21-1.27), and stripped binaries against their
// default twin.
//
// The relation checked, exactly (names compared with type arguments elided, as pclntab spells
// them since Go 1.18):
//   { callee of a DW_TAG_inlined_subroutine with a non-empty pc range, that debug/gosym lists no
//     function for }  ==  gotap's inlined_only()
// and for each such function, the callers (the DWARF subprogram holding the copy vs the function
// of each InlineSite) and the copies' lowest pcs (the lowest DW_AT_low_pc/DW_AT_ranges bound of
// each inlined subroutine vs InlineSite::pc) are equal as multisets. Inlined subroutines with no
// range are left out on both sides: the compiler writes one for an inlined call whose code was
// optimised away entirely, and the inline tree's pc table cannot point at such a call. So are
// copies outside every function gosym lists (C code of cgo binaries, inlined by the C compiler)
// and copies inside compiler-generated wrappers (DW_AT_trampoline), for which Go 1.19 writes no
// inlined subroutines; the stripped-twin test still compares those.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <map>
#include <mutex>
#include <set>

#include "dwarf/dwarf_info.h"
#include "gobin/binary.h"
#include "gosym_reference.h"

namespace gotap::gobin {
namespace {

using testing::ElideTypeArguments;

// Per inlined-only function (elided name): sorted (caller, lowest pc) of every copy.
using CopiesByCallee = std::map<std::string, std::vector<std::pair<std::string, uint64_t>>>;

// True iff `pc` lies in a compiler-generated wrapper (DW_AT_trampoline), such as (*T).M around
// an inlined T.M. Go 1.19 writes no DW_TAG_inlined_subroutine inside wrappers (the inlined
// calls' variables sit flat in the wrapper), so copies there cannot be checked against DWARF.
bool InWrapper(const dwarf::DwarfInfo& dwarf, uint64_t pc) {
  const dwarf::Function* f = dwarf.FunctionContaining(pc);
  return f != nullptr && f->wrapper;
}

CopiesByCallee FromDwarf(const dwarf::DwarfInfo& dwarf,
                         const std::vector<testing::GosymFunction>& bodies) {
  std::set<std::string> body_names;
  std::map<uint64_t, uint64_t> go_code;  // entry -> end of every function gosym lists
  for (const auto& f : bodies) body_names.insert(f.name), go_code[f.entry] = f.end;
  auto in_go_code = [&](uint64_t pc) {
    auto it = go_code.upper_bound(pc);
    return it != go_code.begin() && pc < std::prev(it)->second;
  };
  CopiesByCallee out;
  for (const dwarf::InlinedCall& call : dwarf.inlined_calls()) {
    uint64_t lowest = UINT64_MAX;
    for (const dwarf::PcRange& r : call.ranges) {
      if (r.low < r.high) lowest = std::min(lowest, r.low);
    }
    if (lowest == UINT64_MAX || !in_go_code(lowest) || InWrapper(dwarf, lowest)) continue;
    std::string elided = ElideTypeArguments(call.callee);
    if (body_names.count(call.callee) || body_names.count(elided)) continue;
    out[elided].emplace_back(ElideTypeArguments(call.caller), lowest);
  }
  for (auto& [name, copies] : out) std::sort(copies.begin(), copies.end());
  return out;
}

// With `dwarf`, copies in wrappers are left out, as FromDwarf does.
CopiesByCallee FromPclntab(const Binary& binary, const dwarf::DwarfInfo* dwarf) {
  CopiesByCallee out;
  const InlineIndex& inlines = binary.inlines();
  for (std::string_view name : inlines.inlined_only()) {
    for (const InlineSite& site : *inlines.SitesOf(name)) {
      if (dwarf != nullptr && InWrapper(*dwarf, site.pc)) continue;
      out[ElideTypeArguments(name)].emplace_back(ElideTypeArguments(binary.Name(*site.caller)),
                                                 site.pc);
    }
  }
  for (auto& [name, copies] : out) std::sort(copies.begin(), copies.end());
  return out;
}

// Prints up to `limit` differences between the two maps; returns how many names differ.
size_t ReportDifferences(const CopiesByCallee& dwarf, const CopiesByCallee& gotap, size_t limit) {
  size_t differ = 0;
  std::set<std::string> names;
  for (const auto& [n, c] : dwarf) names.insert(n);
  for (const auto& [n, c] : gotap) names.insert(n);
  for (const std::string& n : names) {
    auto d = dwarf.find(n), g = gotap.find(n);
    if (d != dwarf.end() && g != gotap.end() && d->second == g->second) continue;
    if (differ++ >= limit) continue;
    // The copies only one side has, a few of each.
    using Copies = std::vector<std::pair<std::string, uint64_t>>;
    const Copies none;
    const Copies& dc = d == dwarf.end() ? none : d->second;
    const Copies& gc = g == gotap.end() ? none : g->second;
    auto only = [](const Copies& a, const Copies& b) {
      Copies diff;
      std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(diff));
      std::string s = std::to_string(diff.size()) + " of " + std::to_string(a.size());
      for (size_t i = 0; i < diff.size() && i < 3; ++i) {
        char pc[32];
        std::snprintf(pc, sizeof pc, "%#llx", static_cast<unsigned long long>(diff[i].second));
        s += " " + diff[i].first + "@" + pc;
      }
      return s;
    };
    ADD_FAILURE() << n << ": copies only DWARF has: " << only(dc, gc)
                  << "; only gotap has: " << only(gc, dc);
  }
  return differ;
}

TEST(InlinedOnlyAgreesWithDwarf, EveryMatrixBinaryWithDwarf) {
  std::vector<testing::MatrixBinary> matrix = testing::ReadFixtureMatrix();
  ASSERT_GT(matrix.size(), 100u) << "matrix.txt is missing or short (build target go_fixtures)";
  std::map<std::string, std::pair<size_t, size_t>> counts;  // version -> binaries, names
  std::mutex mutex;
  testing::ForEachIndexInParallel(matrix.size(), [&](size_t i) {
    const testing::MatrixBinary& b = matrix[i];
    if (b.variant == "stripped") return;
    SCOPED_TRACE(b.path);
    std::vector<testing::GosymFunction> bodies;
    std::string error;
    ASSERT_TRUE(testing::RunGosymdump(b.version, b.path, &bodies, &error)) << error;
    auto binary = Binary::Open(b.path);
    ASSERT_TRUE(binary.ok()) << binary.status().ToString();
    auto dwarf = (*binary)->dwarf();
    ASSERT_TRUE(dwarf.ok()) << dwarf.status().ToString();
    CopiesByCallee expected = FromDwarf(**dwarf, bodies);
    CopiesByCallee actual = FromPclntab(**binary, *dwarf);
    // A binary without any function that exists only inlined would make this test vacuous.
    EXPECT_FALSE(expected.empty());
    EXPECT_EQ(ReportDifferences(expected, actual, 5), 0u);
    std::lock_guard<std::mutex> lock(mutex);
    auto& c = counts["go" + b.version + " " + b.variant];
    c.first += 1, c.second += expected.size();
  });
  for (const auto& [key, c] : counts) {
    std::printf("%-16s %3zu binaries %6zu inlined-only (DWARF)\n", key.c_str(), c.first, c.second);
  }
}

// -s -w changes the linker's output, not the compiler's: a stripped binary has the same inline
// trees at the same addresses as its default twin, whose trees DWARF vouches for above.
TEST(InlinedOnlyAgreesWithDwarf, StrippedBinariesMatchTheirDefaultTwin) {
  std::map<std::string, std::string> default_of;  // "version program" -> path
  for (const testing::MatrixBinary& b : testing::ReadFixtureMatrix()) {
    if (b.variant == "default") default_of[b.version + " " + b.program] = b.path;
  }
  std::vector<testing::MatrixBinary> matrix = testing::ReadFixtureMatrix();
  std::atomic<size_t> compared{0};
  testing::ForEachIndexInParallel(matrix.size(), [&](size_t i) {
    const testing::MatrixBinary& b = matrix[i];
    if (b.variant != "stripped") return;
    SCOPED_TRACE(b.path);
    auto twin_path = default_of.find(b.version + " " + b.program);
    ASSERT_NE(twin_path, default_of.end());
    auto stripped = Binary::Open(b.path);
    auto twin = Binary::Open(twin_path->second);
    ASSERT_TRUE(stripped.ok() && twin.ok());
    EXPECT_EQ(ReportDifferences(FromPclntab(**twin, nullptr), FromPclntab(**stripped, nullptr), 5),
              0u);
    ++compared;
  });
  EXPECT_GT(compared, 100u);
}

}  // namespace
}  // namespace gotap::gobin
