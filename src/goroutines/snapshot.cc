#include "goroutines/snapshot.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "base/byte_reader.h"
#include "base/clock.h"
#include "goroutines/unwind.h"

namespace gotap::goroutines {
namespace {

// allgs never shrinks; a length beyond this is not a slice header we understand.
constexpr uint64_t kMaxGoroutines = 50'000'000;
// Bytes of stack read at once from the innermost SP: the frames of a goroutine parked in the
// runtime (gopark, chanrecv, ...) and a few callers fit.
constexpr uint64_t kStackWindow = 1024;
// g structs read per process_vm_readv call.
constexpr size_t kBatch = 512;

// Reads `sizes[i]` bytes at `pointers[i]` into (*blocks)[i], kBatch ranges per system call; a
// range that cannot be read gets an empty block. Fails only when the process is gone or
// unreadable as a whole.
Status ReadRanges(const proc::ProcessMemory& memory, const std::vector<uint64_t>& pointers,
                  const std::vector<uint64_t>& sizes, std::vector<std::vector<uint8_t>>* blocks) {
  blocks->resize(pointers.size());
  for (size_t i = 0; i < pointers.size(); ++i) (*blocks)[i].assign(sizes[i], 0);
  for (size_t begin = 0; begin < pointers.size(); begin += kBatch) {
    size_t end = std::min(pointers.size(), begin + kBatch);
    std::vector<std::span<uint8_t>> out;
    for (size_t i = begin; i < end; ++i) out.emplace_back((*blocks)[i]);
    Status s = memory.ReadMany(std::span(pointers).subspan(begin, end - begin), out);
    if (s.ok()) continue;
    if (s.code() != StatusCode::kIo) return s;
    for (size_t i = begin; i < end; ++i) {
      if (!memory.ReadAt(pointers[i], (*blocks)[i]).ok()) (*blocks)[i].clear();
    }
  }
  return Status::Ok();
}

Status ReadBlocks(const proc::ProcessMemory& memory, const std::vector<uint64_t>& pointers,
                  uint64_t size, std::vector<std::vector<uint8_t>>* blocks) {
  return ReadRanges(memory, pointers, std::vector<uint64_t>(pointers.size(), size), blocks);
}

struct Fields {
  uint64_t stack_lo, stack_hi, m, sched_sp, sched_pc, syscallsp, syscallpc;
  uint32_t status;
  int64_t goid, waitsince;
  uint8_t waitreason;
  uint64_t lockedm, gopc, startpc;
  std::optional<int64_t> parent_goid;
};

std::optional<Fields> Decode(const std::vector<uint8_t>& block, const gobin::GLayout& l) {
  ByteReader r(block);
  auto u64 = [&](uint64_t at) { return r.U64(at); };
  auto status = r.U32(l.atomicstatus);
  auto reason = r.U8(l.waitreason);
  auto lo = u64(l.stack_lo), hi = u64(l.stack_hi), m = u64(l.m), sp = u64(l.sched_sp),
       pc = u64(l.sched_pc), ssp = u64(l.syscallsp), spc = u64(l.syscallpc), goid = u64(l.goid),
       since = u64(l.waitsince), lockedm = u64(l.lockedm), gopc = u64(l.gopc),
       startpc = u64(l.startpc);
  if (!status || !reason || !lo || !hi || !m || !sp || !pc || !ssp || !spc || !goid || !since ||
      !lockedm || !gopc || !startpc) {
    return std::nullopt;
  }
  Fields f{*lo,
           *hi,
           *m,
           *sp,
           *pc,
           *ssp,
           *spc,
           *status,
           static_cast<int64_t>(*goid),
           static_cast<int64_t>(*since),
           *reason,
           *lockedm,
           *gopc,
           *startpc,
           std::nullopt};
  if (l.parent_goid) {
    if (auto p = u64(*l.parent_goid)) f.parent_goid = static_cast<int64_t>(*p);
  }
  return f;
}

}  // namespace

// Where to start unwinding one listed goroutine.
struct GoroutineReader::PendingUnwind {
  size_t index;  // into Snapshot::goroutines
  uint64_t pc, sp, stack_lo, stack_hi;
};

bool IsRuntimeInternal(std::string_view function) {
  if (function.find('.') == std::string_view::npos) return true;
  constexpr std::string_view kRuntime = "runtime.";
  if (function.substr(0, kRuntime.size()) != kRuntime) return false;
  char first = function.size() > kRuntime.size() ? function[kRuntime.size()] : 'x';
  return !(first >= 'A' && first <= 'Z');
}

bool Frame::Shown() const { return !wrapper && !IsRuntimeInternal(function); }

std::string Goroutine::TopFunction() const {
  for (const Frame& f : frames) {
    if (f.Shown()) return f.function;
  }
  if (!frames.empty()) return frames.front().function;
  return start_function;
}

StatusOr<GoroutineReader> GoroutineReader::Create(const gobin::Binary& binary, uint64_t load_bias) {
  if (binary.machine() != elf::Machine::kX86_64) {
    return Unsupported("listing goroutines supports x86-64 targets only (this is {})",
                       elf::MachineName(binary.machine()));
  }
  ASSIGN_OR_RETURN(gobin::Symbolizer symbolizer, gobin::Symbolizer::Create(binary));
  GoroutineReader reader(binary, std::move(symbolizer));
  reader.load_bias_ = load_bias;
  ASSIGN_OR_RETURN(reader.layout_, binary.runtime().layout());
  ASSIGN_OR_RETURN(reader.allgs_, LocateAllgs(binary));
  reader.wait_reasons_ = ResolveWaitReasons(binary);
  return reader;
}

Status GoroutineReader::UnwindAll(const proc::ProcessMemory& memory,
                                  const std::vector<PendingUnwind>& pending,
                                  std::vector<Goroutine>* goroutines) const {
  // The innermost frames of every stack in batched reads; deeper words are read one by one.
  std::vector<uint64_t> bases, sizes;
  for (const PendingUnwind& p : pending) {
    bool on_stack = p.sp >= p.stack_lo && p.sp < p.stack_hi;
    bases.push_back(p.sp);
    sizes.push_back(on_stack ? std::min(kStackWindow, p.stack_hi - p.sp) : 0);
  }
  std::vector<std::vector<uint8_t>> windows;
  RETURN_IF_ERROR(ReadRanges(memory, bases, sizes, &windows));
  UnwindCache cache;
  for (size_t k = 0; k < pending.size(); ++k) {
    const PendingUnwind& p = pending[k];
    const std::vector<uint8_t>& window = windows[k];
    ReadWord read_word = [&](uint64_t at) -> std::optional<uint64_t> {
      if (at >= p.sp && at - p.sp + 8 <= window.size()) {
        uint64_t v;
        std::memcpy(&v, window.data() + (at - p.sp), 8);
        return v;
      }
      auto v = memory.ReadU64(at);
      if (!v.ok()) return std::nullopt;
      return *v;
    };
    UnwindResult r = Unwind(*binary_, symbolizer_, load_bias_, p.pc, p.sp, p.stack_lo, p.stack_hi,
                            read_word, &cache);
    Goroutine& g = (*goroutines)[p.index];
    g.frames = std::move(r.frames);
    g.unwind_error = std::move(r.error);
  }
  return Status::Ok();
}

StatusOr<Snapshot> GoroutineReader::Read(const proc::ProcessMemory& memory, bool unwind) const {
  Snapshot snap;
  snap.info.go_version = binary_->go_version();
  snap.info.layout = layout_.ToString();
  snap.info.allgs_found_by = allgs_.found_by;
  snap.info.wait_reasons_from = WaitReasonSourceName(wait_reasons_.source);
  snap.info.load_bias = load_bias_;
  const uint64_t allgs = allgs_.vaddr + load_bias_;
  // Length before pointer: allgs only grows, and a newer backing array holds at least as many.
  ASSIGN_OR_RETURN(uint64_t len, memory.ReadU64(allgs + 8));
  ASSIGN_OR_RETURN(uint64_t data, memory.ReadU64(allgs));
  if (len > kMaxGoroutines) return Malformed("runtime.allgs has length {}: wrong address?", len);
  snap.info.allglen = len;
  std::vector<uint64_t> pointers(len);
  if (len > 0) {
    if (data == 0) return Malformed("runtime.allgs has length {} but no array", len);
    RETURN_IF_ERROR(memory.ReadAt(
        data, std::span(reinterpret_cast<uint8_t*>(pointers.data()), len * sizeof(uint64_t))));
  }
  std::erase(pointers, 0);
  const gobin::GLayout& l = layout_.g;
  std::vector<std::vector<uint8_t>> first, second;
  RETURN_IF_ERROR(ReadBlocks(memory, pointers, l.ReadSize(), &first));

  const int64_t now = static_cast<int64_t>(ClockNs(CLOCK_MONOTONIC));
  std::unordered_map<uint64_t, std::optional<uint64_t>> procids;  // m -> procid
  auto procid_of = [&](uint64_t m) -> std::optional<uint64_t> {
    auto [it, inserted] = procids.try_emplace(m);
    if (inserted) {
      auto v = memory.ReadU64(m + layout_.m.procid);
      if (v.ok()) it->second = *v;
    }
    return it->second;
  };
  std::vector<size_t> kept;  // index into pointers of each listed goroutine
  std::vector<PendingUnwind> pending;
  for (size_t i = 0; i < pointers.size(); ++i) {
    auto f = Decode(first[i], l);
    if (!f) continue;
    uint32_t status = f->status & ~kGscan;
    if (status == kGdead || status == kGdeadextra) continue;
    Goroutine g;
    g.g = pointers[i];
    g.goid = f->goid;
    g.status = status;
    g.scanning = (f->status & kGscan) != 0;
    g.status_name = GStatusName(status);
    if (status == kGwaiting && f->waitreason != 0)
      g.wait_reason = wait_reasons_.Name(f->waitreason);
    if ((status == kGwaiting || status == kGsyscall) && f->waitsince != 0 && now > f->waitsince) {
      g.waiting_ns = now - f->waitsince;
    }
    if ((status == kGrunning || status == kGsyscall) && f->m != 0) g.thread_id = procid_of(f->m);
    g.locked_to_thread = f->lockedm != 0;
    if (f->lockedm != 0) g.locked_tid = procid_of(f->lockedm);
    g.parent_goid = f->parent_goid;
    if (f->startpc >= load_bias_) {
      if (const auto* fn = binary_->FunctionAt(f->startpc - load_bias_)) {
        g.start_function = std::string(binary_->Name(*fn));
      }
    }
    constexpr std::string_view kRuntime = "runtime.";
    g.system = g.start_function.substr(0, kRuntime.size()) == kRuntime &&
               g.start_function != "runtime.main";
    if (f->gopc >= load_bias_ && g.goid != 1) {
      uint64_t link = f->gopc - load_bias_;
      if (const auto* fn = binary_->FunctionAt(link)) {
        g.created_by = std::string(binary_->Name(*fn));
        if (auto pos = symbolizer_.PosAt(*fn, link > fn->entry ? link - 1 : link)) {
          g.created_at = fmt::format("{}:{}", pos->file, pos->line);
        }
      }
    }
    if (unwind && status != kGrunning) {
      uint64_t pc = f->sched_pc, sp = f->sched_sp;
      if (status == kGsyscall && f->syscallsp != 0) pc = f->syscallpc, sp = f->syscallsp;
      pending.push_back({snap.goroutines.size(), pc, sp, f->stack_lo, f->stack_hi});
    }
    snap.goroutines.push_back(std::move(g));
    kept.push_back(i);
  }
  RETURN_IF_ERROR(UnwindAll(memory, pending, &snap.goroutines));
  // Second read: anything that moved while we looked is marked, not trusted.
  std::vector<uint64_t> again;
  for (size_t i : kept) again.push_back(pointers[i]);
  RETURN_IF_ERROR(ReadBlocks(memory, again, l.ReadSize(), &second));
  for (size_t k = 0; k < kept.size(); ++k) {
    auto a = Decode(first[kept[k]], l);
    auto b = Decode(second[k], l);
    if (!a || !b || a->status != b->status || a->goid != b->goid || a->sched_pc != b->sched_pc ||
        a->sched_sp != b->sched_sp || a->syscallsp != b->syscallsp ||
        a->waitreason != b->waitreason) {
      snap.goroutines[k].changed = true;
    }
  }
  std::sort(snap.goroutines.begin(), snap.goroutines.end(),
            [](const Goroutine& a, const Goroutine& b) { return a.goid < b.goid; });
  return snap;
}

}  // namespace gotap::goroutines
