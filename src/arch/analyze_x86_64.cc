// x86-64 sweep: a linear decode from entry with the table decoder, capstone for what it leaves.
#include <algorithm>
#include <optional>
#include <vector>

#include "arch/analyzers.h"
#include "arch/uprobe_check.h"
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

// The index of the record that starts at link-time address `target`, if one does.
std::optional<size_t> RecordAt(const std::vector<Record>& records, uint64_t entry,
                               uint64_t target) {
  if (target < entry) return std::nullopt;
  const uint64_t offset = target - entry;
  auto it = std::lower_bound(records.begin(), records.end(), offset,
                             [](const Record& r, uint64_t off) { return r.offset < off; });
  if (it == records.end() || it->offset != offset) return std::nullopt;
  return static_cast<size_t>(it - records.begin());
}

// True iff a decoded instruction starts at `target` and the code from there is Go's morestack
// block: register spills, exactly one direct CALL (runtime.morestack*), reloads, and a JMP back to
// entry. Exactly one call: a panic path (`call runtime.panic*`) often falls through into the
// morestack block, and a branch to it is not part of the stack check.
// `call_at`, when given, receives the call's offset from entry.
bool IsMorestackBlock(const std::vector<Record>& records, uint64_t entry, uint64_t target,
                      uint32_t* call_at = nullptr) {
  const std::optional<size_t> start = RecordAt(records, entry, target);
  if (!start) return false;
  auto it = records.begin() + static_cast<ptrdiff_t>(*start);
  int calls = 0;
  for (size_t n = 0; it != records.end() && n < kMorestackWindow; ++it, ++n) {
    switch (it->flow) {
      case Flow::kCall:
        if (++calls > 1) return false;
        if (call_at != nullptr) *call_at = it->offset;
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
// `je L; ...; jbe L`); branches elsewhere are the function body's. `first` receives the index of
// the first branch to the block, `morestack_call` the offset of the block's CALL.
int FindStackCheckBranch(const std::vector<Record>& records, uint64_t entry, int* first,
                         uint32_t* morestack_call) {
  int found = -1;
  uint64_t morestack = 0;  // the verified block's address, once found
  const size_t window = std::min(records.size(), kPrologueWindow);
  for (size_t i = 0; i < window; ++i) {
    const Record& r = records[i];
    if (IsTerminator(r.flow)) break;
    if (r.flow != Flow::kCondJump || r.target <= entry + r.offset) continue;
    if (found >= 0) {
      if (r.target == morestack) found = static_cast<int>(i);
    } else if (IsMorestackBlock(records, entry, r.target, morestack_call)) {
      found = static_cast<int>(i);
      morestack = r.target;
      *first = found;
    }
  }
  return found;
}

// True iff `insn` is a NOP: 90, 66 90, or 0f 1f /0 with any 66 prefixes.
bool IsNop(Bytes insn) {
  size_t i = 0;
  while (i < insn.size() && insn[i] == 0x66) ++i;
  if (i < insn.size() && insn[i] == 0x90) return i + 1 == insn.size();
  return i + 1 < insn.size() && insn[i] == 0x0f && insn[i + 1] == 0x1f;
}

// True iff `insn` traps: int3 (cc), int imm8 (cd ib, Go's `INT $3`), ud2 (0f 0b).
bool IsTrap(Bytes insn) {
  if (insn.empty()) return false;
  if (insn[0] == 0xcc || insn[0] == 0xcd) return true;
  return insn.size() == 2 && insn[0] == 0x0f && insn[1] == 0x0b;
}

// The bytes of record r.
Bytes InsnBytes(Bytes code, const Record& r) { return code.subspan(r.offset, r.length); }

// Fills count_site, count_correction_site, count_site_emulated and count_site_on_straight_line
// (see CodeAnalysis). entry_probe must be set; records[entry_index] is at entry_probe. With a
// stack check, `first_branch` is its first branch's index and `morestack_call` the offset of its
// morestack block's CALL (FindStackCheckBranch).
void ChooseCountSite(const std::vector<Record>& records, uint64_t entry, Bytes code,
                     const CapstoneView& capstone, size_t entry_index, int first_branch,
                     uint32_t morestack_call, CodeAnalysis* out) {
  out->count_site = out->entry_probe;
  if (records.empty()) return;
  if (X86KernelEmulates(InsnBytes(code, records[entry_index]))) {
    out->count_site_emulated = true;
    return;
  }
  if (out->has_stack_check) {
    out->count_site = entry + records[first_branch].offset;
    out->count_correction_site = entry + morestack_call;
    out->count_site_emulated = true;
    return;
  }
  // Straight line from entry: stop where a jump lands, where SP may move, or at any transfer.
  std::vector<uint32_t> landings;
  for (const Record& r : records) {
    if ((r.flow == Flow::kCondJump || r.flow == Flow::kJump) && r.target > entry &&
        r.target - entry < UINT32_MAX) {
      landings.push_back(static_cast<uint32_t>(r.target - entry));
    }
  }
  std::sort(landings.begin(), landings.end());
  for (size_t i = 0; i < records.size() && i < kStraightLineWindow; ++i) {
    const Record& r = records[i];
    if (i > 0 && std::binary_search(landings.begin(), landings.end(), r.offset)) return;
    if (X86KernelEmulates(InsnBytes(code, r))) {
      out->count_site = entry + r.offset;
      out->count_site_emulated = true;
      out->count_site_on_straight_line = true;
      return;
    }
    if (r.flow != Flow::kNone || capstone.MayWriteSp(entry + r.offset, code.subspan(r.offset))) {
      return;
    }
  }
}

// Walks the control flow from entry and classifies how each path ends (CodeAnalysis::ExitPaths).
// `code` holds the bytes the records were decoded from.
CodeAnalysis::ExitPaths WalkExitPaths(const std::vector<Record>& records, uint64_t entry,
                                      uint64_t end, Bytes code) {
  CodeAnalysis::ExitPaths out;
  if (records.empty()) return out;
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
        } else if (auto t = RecordAt(records, entry, r.target)) {
          work.push_back(*t);
        } else {
          ++out.bad_targets;
        }
        break;
      case Flow::kCall:
        break;
      case Flow::kNone:
        if (IsTrap(code.subspan(r.offset, r.length))) {
          ++out.traps;
          falls_through = false;
        }
        break;
    }
    if (!falls_through) continue;
    if (i + 1 < records.size()) {
      work.push_back(i + 1);
      continue;
    }
    // The last instruction falls through. After a call that does not return the compiler may
    // put NOPs, so that the return address still maps to the call's line.
    size_t last_real = i;
    while (last_real > 0 && records[last_real].flow == Flow::kNone &&
           IsNop(code.subspan(records[last_real].offset, records[last_real].length))) {
      --last_real;
    }
    if (records[last_real].flow == Flow::kCall) {
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
  out->exit_paths = WalkExitPaths(records, entry, end, code);

  int first_branch = -1;
  uint32_t morestack_call = 0;
  const int branch = FindStackCheckBranch(records, entry, &first_branch, &morestack_call);
  size_t entry_index = 0;
  if (branch >= 0 && static_cast<size_t>(branch) + 1 < records.size()) {
    out->has_stack_check = true;
    out->stack_check_branch = entry + records[branch].offset;
    out->morestack_block = records[branch].target;
    out->entry_probe = entry + records[branch + 1].offset;
    out->entry_probe_kind = EntryProbeKind::kAfterStackCheck;
    entry_index = static_cast<size_t>(branch) + 1;
  } else {
    out->entry_probe = entry;
    out->entry_probe_kind = EntryProbeKind::kFunctionStart;
  }
  ChooseCountSite(records, entry, code, capstone, entry_index, first_branch, morestack_call, out);
}

}  // namespace gotap::arch::internal
