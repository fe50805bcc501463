// x86-64 sweep: a linear decode from entry with the table decoder, capstone for what it leaves.
#include <algorithm>
#include <vector>

#include "arch/analyzers.h"
#include "arch/x86_decoder.h"

namespace gotap::arch::internal {
namespace {

using x86::Flow;

struct Record {
  uint32_t offset;  // from entry
  uint8_t length;
  Flow flow;
  uint64_t target;  // link-time vaddr; meaningful iff flow is kCondJump, kJump or kCall
};

// Reused across calls on a thread: a sweep allocates nothing once it has warmed up.
thread_local std::vector<Record> t_records;

bool IsTerminator(Flow flow) {
  return flow == Flow::kReturn || flow == Flow::kJump || flow == Flow::kCall ||
         flow == Flow::kIndirectJump;
}

// True iff a decoded instruction starts at `target` and the code from there is Go's morestack
// block: register spills, exactly one direct CALL (runtime.morestack*), reloads, and a JMP back to
// entry. Exactly one call: a panic path (`call runtime.panic*`) often falls through into the
// morestack block, and a branch to it is not part of the stack check.
bool IsMorestackBlock(const std::vector<Record>& records, uint64_t entry, uint64_t target) {
  if (target < entry) return false;
  const uint64_t offset = target - entry;
  auto it = std::lower_bound(records.begin(), records.end(), offset,
                             [](const Record& r, uint64_t off) { return r.offset < off; });
  if (it == records.end() || it->offset != offset) return false;
  int calls = 0;
  for (size_t n = 0; it != records.end() && n < kMorestackWindow; ++it, ++n) {
    switch (it->flow) {
      case Flow::kCall:
        if (++calls > 1) return false;
        break;
      case Flow::kJump:
        return calls == 1 && it->target == entry;
      case Flow::kNone:
        break;
      default:
        return false;
    }
  }
  return false;
}

// Index of the last conditional branch of the stack check, or -1 if there is none. Large-frame
// checks branch twice to the same morestack block (`jb L; cmp; jbe L`, and Go <= 1.16's
// `je L; ...; jbe L`); branches elsewhere are the function body's.
int FindStackCheckBranch(const std::vector<Record>& records, uint64_t entry) {
  int found = -1;
  uint64_t morestack = 0;  // the verified block's address, once found
  const size_t window = std::min(records.size(), kPrologueWindow);
  for (size_t i = 0; i < window; ++i) {
    const Record& r = records[i];
    if (IsTerminator(r.flow)) break;
    if (r.flow != Flow::kCondJump || r.target <= entry + r.offset) continue;
    if (found >= 0) {
      if (r.target == morestack) found = static_cast<int>(i);
    } else if (IsMorestackBlock(records, entry, r.target)) {
      found = static_cast<int>(i);
      morestack = r.target;
    }
  }
  return found;
}

// Walks the control flow from entry and classifies how each path ends (CodeAnalysis::ExitPaths).
CodeAnalysis::ExitPaths WalkExitPaths(const std::vector<Record>& records, uint64_t entry,
                                      uint64_t end) {
  CodeAnalysis::ExitPaths out;
  if (records.empty()) return out;
  auto index_of = [&](uint64_t target) -> std::optional<size_t> {
    auto it = std::lower_bound(records.begin(), records.end(), target - entry,
                               [](const Record& r, uint64_t off) { return r.offset < off; });
    if (it == records.end() || it->offset != target - entry) return std::nullopt;
    return static_cast<size_t>(it - records.begin());
  };
  std::vector<bool> seen(records.size(), false);
  std::vector<size_t> work = {0};
  while (!work.empty()) {
    size_t i = work.back();
    work.pop_back();
    if (seen[i]) continue;
    seen[i] = true;
    const Record& r = records[i];
    const bool inside = r.target >= entry && r.target < end;
    bool falls_through = true;
    switch (r.flow) {
      case Flow::kReturn:
        falls_through = false;
        break;
      case Flow::kIndirectJump:
        ++out.indirect_jumps;
        falls_through = false;
        break;
      case Flow::kJump:
        falls_through = false;
        [[fallthrough]];
      case Flow::kCondJump:
        if (!inside) {
          out.conditional_exits += r.flow == Flow::kCondJump;
        } else if (auto t = index_of(r.target)) {
          work.push_back(*t);
        } else {
          ++out.bad_targets;
        }
        break;
      case Flow::kCall:
      case Flow::kNone:
        break;
    }
    if (!falls_through) continue;
    if (i + 1 < records.size()) {
      work.push_back(i + 1);
    } else if (r.flow == Flow::kCall) {
      ++out.noreturn_call_ends;
    } else {
      ++out.off_end;
    }
  }
  return out;
}

}  // namespace

void AnalyzeX86_64(uint64_t entry, Bytes code, const CapstoneView& capstone, CodeAnalysis* out) {
  // Go pads between functions with int3; a trailing run of 0xcc is not swept. An instruction
  // that starts before the run may still extend into it: it is decoded from the full span.
  size_t body = code.size();
  while (body > 0 && code[body - 1] == 0xcc) --body;

  std::vector<Record>& records = t_records;
  records.clear();
  size_t offset = 0;
  while (offset < body) {
    const Bytes rest = code.subspan(offset);
    const uint64_t address = entry + offset;
    x86::Insn insn = x86::Decode(rest);
    if (insn.length == 0) {
      const CapstoneView::Measured m = capstone.Measure(address, rest);
      if (m.length == 0) {
        ++out->undecodable_bytes;
        ++offset;
        continue;
      }
      insn = x86::Insn{m.length, m.is_return ? Flow::kReturn : Flow::kNone, 0};
    }
    const uint64_t target = address + insn.length + static_cast<int64_t>(insn.rel);
    records.push_back(Record{static_cast<uint32_t>(offset), insn.length, insn.flow, target});
    offset += insn.length;
  }
  out->padding_bytes = static_cast<uint32_t>(code.size() - std::max(offset, body));

  const uint64_t end = entry + code.size();
  out->instruction_offsets.reserve(records.size());
  std::optional<uint64_t> tail_jump;
  for (const Record& r : records) {
    out->instruction_offsets.push_back(r.offset);
    if (r.flow == Flow::kReturn) out->return_sites.push_back(entry + r.offset);
    if (r.flow == Flow::kIndirectJump) out->indirect_jump_sites.push_back(entry + r.offset);
    if (r.flow == Flow::kJump && (r.target < entry || r.target >= end)) {
      tail_jump = r.target;
      out->tail_jump_sites.push_back(entry + r.offset);
    }
  }
  if (out->return_sites.empty()) out->tail_jump = tail_jump;
  out->exit_paths = WalkExitPaths(records, entry, end);

  const int branch = FindStackCheckBranch(records, entry);
  if (branch >= 0 && static_cast<size_t>(branch) + 1 < records.size()) {
    out->has_stack_check = true;
    out->stack_check_branch = entry + records[branch].offset;
    out->morestack_block = records[branch].target;
    out->entry_probe = entry + records[branch + 1].offset;
    out->entry_probe_kind = EntryProbeKind::kAfterStackCheck;
  } else {
    out->entry_probe = entry;
    out->entry_probe_kind = EntryProbeKind::kFunctionStart;
  }
}

}  // namespace gotap::arch::internal
