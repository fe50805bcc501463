// arm64 sweep over raw instruction words.
//
// Every 4-byte aligned word is an instruction, so a sweep never loses synchronization and needs no
// decoder: returns and branches are recognized by their encodings (Arm ARM, "Branches, exception
// generating and system instructions"). Capstone 4 would also be wrong here: it rejects ARMv8.1
// LSE atomics (ldaddal, casal, ...) that Go emits, and the RETAA/RETAB of ARMv8.3.
#include <algorithm>

#include "arch/analyzers.h"

namespace gotap::arch::internal {
namespace {

int64_t SignExtend(uint32_t value, int bits) {
  const uint32_t sign = 1u << (bits - 1);
  return static_cast<int64_t>(static_cast<int32_t>((value ^ sign) - sign));
}

bool IsReturn(uint32_t w) {
  return (w & 0xfffffc1f) == 0xd65f0000  // ret Xn
         || w == 0xd65f0bff              // retaa
         || w == 0xd65f0fff;             // retab
}
bool IsBranch(uint32_t w) { return (w & 0xfc000000) == 0x14000000; }          // b imm26
bool IsBranchLink(uint32_t w) { return (w & 0xfc000000) == 0x94000000; }      // bl imm26
bool IsCondBranch(uint32_t w) { return (w & 0xff000010) == 0x54000000; }      // b.cond imm19
bool IsIndirectBranch(uint32_t w) { return (w & 0xffdffc1f) == 0xd61f0000; }  // br, blr
int64_t BranchDelta(uint32_t w) { return SignExtend(w & 0x03ffffff, 26) * 4; }
int64_t CondBranchDelta(uint32_t w) { return SignExtend((w >> 5) & 0x7ffff, 19) * 4; }

class Words {
 public:
  explicit Words(Bytes code) : reader_(code), count_(code.size() / 4) {}
  size_t count() const { return count_; }
  uint32_t operator[](size_t i) const { return reader_.U32(i * 4).value_or(0); }

 private:
  ByteReader reader_;
  size_t count_;
};

// True iff word index `start` (< body) begins Go's morestack block: no branches but exactly one
// BL (runtime.morestack*), then a B back to entry (word 0). See analyze_x86_64.cc for why one.
bool IsMorestackBlock(const Words& words, size_t body, size_t start) {
  int calls = 0;
  const size_t stop = std::min(body, start + kMorestackWindow);
  for (size_t i = start; i < stop; ++i) {
    const uint32_t w = words[i];
    if (IsBranchLink(w)) {
      if (++calls > 1) return false;
    } else if (IsBranch(w)) {
      return calls == 1 && static_cast<int64_t>(i) * 4 + BranchDelta(w) == 0;
    } else if (IsReturn(w) || IsCondBranch(w) || IsIndirectBranch(w)) {
      return false;
    }
  }
  return false;
}

// Word index of the last conditional branch of the stack check, or -1 if there is none. Huge
// frames branch twice to the same morestack block (`b.lo L; cmp; b.ls L`).
int64_t FindStackCheckBranch(const Words& words, size_t body) {
  int64_t found = -1;
  int64_t morestack = -1;
  const size_t window = std::min(body, kPrologueWindow);
  for (size_t i = 0; i < window; ++i) {
    const uint32_t w = words[i];
    if (IsBranch(w) || IsBranchLink(w) || IsReturn(w) || IsIndirectBranch(w)) break;
    if (!IsCondBranch(w)) continue;
    const int64_t delta = CondBranchDelta(w);
    if (delta <= 0) continue;
    const int64_t target = static_cast<int64_t>(i) + delta / 4;
    if (target >= static_cast<int64_t>(body)) continue;
    if (found >= 0) {
      if (target == morestack) found = static_cast<int64_t>(i);
    } else if (IsMorestackBlock(words, body, target)) {
      found = static_cast<int64_t>(i);
      morestack = target;
    }
  }
  return found;
}

}  // namespace

void AnalyzeArm64(uint64_t entry, Bytes code, CodeAnalysis* out) {
  const Words words(code);
  out->undecodable_bytes = static_cast<uint32_t>(code.size() % 4);
  // Go pads with zero words (also its UNDEF encoding); a trailing run of them is not swept.
  size_t body = words.count();
  while (body > 0 && words[body - 1] == 0) --body;
  out->padding_bytes = static_cast<uint32_t>((words.count() - body) * 4);

  const uint64_t end = entry + code.size();
  std::optional<uint64_t> tail_jump;
  for (size_t i = 0; i < body; ++i) {
    const uint32_t w = words[i];
    const uint64_t address = entry + i * 4;
    if (IsReturn(w)) {
      out->return_sites.push_back(address);
    } else if (IsBranch(w)) {
      const uint64_t target = address + BranchDelta(w);
      if (target < entry || target >= end) tail_jump = target;
    }
  }
  if (out->return_sites.empty()) out->tail_jump = tail_jump;

  const int64_t branch = FindStackCheckBranch(words, body);
  if (branch >= 0 && static_cast<size_t>(branch) + 1 < body) {
    out->has_stack_check = true;
    out->stack_check_branch = entry + branch * 4;
    out->morestack_block =
        entry + static_cast<uint64_t>(branch * 4 + CondBranchDelta(words[branch]));
    out->entry_probe = entry + (branch + 1) * 4;
    out->entry_probe_kind = EntryProbeKind::kAfterStackCheck;
  } else {
    out->entry_probe = entry;
    out->entry_probe_kind = EntryProbeKind::kFunctionStart;
  }
}

}  // namespace gotap::arch::internal
