#include "trace/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

#include "arch/abi.h"
#include "bpf/limits.h"
#include "bpf/site_spec.h"
#include "gobin/runtime_exits.h"
#include "probe/dwarf_signature.h"
#include "probe/entry_site.h"
#include "probe/resolve.h"
#include "probe/type_data.h"
#include "trace/site_screen.h"

namespace gotap::trace {
namespace {

using Kind = dwarf::Type::Kind;

// Raw argument words, for functions with neither DWARF nor a signature.
const dwarf::Type* RawWordType() {
  static const dwarf::Type* type = [] {
    auto* t = new dwarf::Type();
    t->kind = Kind::kUintptr;
    t->name = "uintptr";
    t->size = 8;
    return t;
  }();
  return type;
}

constexpr uint32_t kArgsSizeUnknown = 0x80000000;

const dwarf::Type* ContextType() {
  static const dwarf::Type* type = [] {
    auto* t = new dwarf::Type();
    t->kind = Kind::kInterface;
    t->name = "context.Context";
    t->size = 16;
    return t;
  }();
  return type;
}

// Builds the capture slots for a list of values at one site.
class CaptureBuilder {
 public:
  // The typed walk (GOTAP_DEREF_TYPED) a pointer to a value of the given type is followed with,
  // nullopt to leave it an address.
  using TypedRoot = std::function<std::optional<uint8_t>(const dwarf::Type& pointee)>;

  CaptureBuilder(arch::Arch arch, uint16_t string_length, TypedRoot typed_root)
      : arch_(arch), string_length_(string_length), typed_root_(std::move(typed_root)) {}

  ValueBinding Bind(const probe::ValueLayout& layout) {
    ValueBinding b;
    b.name = layout.name;
    b.type = layout.type;
    for (const probe::Piece& p : layout.pieces) {
      switch (p.location.kind) {
        case probe::Location::Kind::kFloatReg:
          b.unknown.push_back({p.offset, p.size, decode::ByteState::kFloatRegister});
          break;
        case probe::Location::Kind::kIntReg: {
          const arch::Register* reg = probe::IntRegister(arch_, p.location.index);
          if (reg == nullptr || !Add(bpf::CaptureRegister(static_cast<int16_t>(reg->pt_regs_offset),
                                                          static_cast<uint8_t>(p.size)),
                                     p.offset, p.size, &b)) {
            b.unknown.push_back({p.offset, p.size, decode::ByteState::kNotCaptured});
          }
          break;
        }
        case probe::Location::Kind::kStack:
          for (uint64_t done = 0; done < p.size;) {
            uint64_t left = p.size - done;
            uint64_t chunk = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
            uint64_t sp_offset = p.location.stack_offset + done;
            if (sp_offset > INT16_MAX || !Add(bpf::CaptureStack(static_cast<int16_t>(sp_offset),
                                                                static_cast<uint8_t>(chunk)),
                                              p.offset + done, chunk, &b)) {
              b.unknown.push_back({p.offset + done, chunk, decode::ByteState::kNotCaptured});
            }
            done += chunk;
          }
          break;
      }
    }
    AddPointees(*layout.type, 0, 0, &b);
    return b;
  }

  // --ctx-from: the context lent by a caller, as a value named `name`.
  ValueBinding BindLoan(std::string name) {
    ValueBinding b;
    b.name = std::move(name);
    b.type = ContextType();
    for (int16_t word = 0; word < 2; ++word) {
      gotap_capture c{};
      c.source = GOTAP_SRC_SCOPE;
      c.size = 8;
      c.offset = static_cast<int16_t>(8 * word);
      if (!Add(c, 8 * static_cast<uint64_t>(word), 8, &b)) {
        b.unknown.push_back({8 * static_cast<uint64_t>(word), 8, decode::ByteState::kNotCaptured});
      }
    }
    AddPointees(*b.type, 0, 0, &b);
    return b;
  }

  // Makes the interface walked at `b`'s first interface lend itself (GOTAP_DEREF_IFACE_LEND);
  // false if b has none.
  bool Lend(const ValueBinding& b) {
    if (b.ifaces.empty()) return false;
    captures_[b.ifaces.front().second].deref = GOTAP_DEREF_IFACE_LEND;
    return true;
  }

  // At a RET of a lending function: ends the loan (a slot bound to no value).
  void EndLoan() {
    gotap_capture c{};
    c.source = GOTAP_SRC_SCOPE_END;
    c.size = 8;
    if (captures_.size() < GOTAP_MAX_CAPTURES) captures_.push_back(c);
  }

  // A raw word from an integer register or the stack.
  ValueBinding BindRaw(std::string name, std::optional<int16_t> pt_regs_offset, int16_t sp_offset) {
    ValueBinding b;
    b.name = std::move(name);
    b.type = RawWordType();
    gotap_capture c =
        pt_regs_offset ? bpf::CaptureRegister(*pt_regs_offset, 8) : bpf::CaptureStack(sp_offset, 8);
    if (!Add(c, 0, 8, &b)) b.unknown.push_back({0, 8, decode::ByteState::kNotCaptured});
    return b;
  }

  // The site's captures. The bytes interface walks may write are shared out between them: each
  // gets an equal part of what the other slots leave of the capture area.
  std::vector<gotap_capture> TakeCaptures() {
    size_t walks = 0;
    for (const gotap_capture& c : captures_) walks += gotap_deref_walks(c.deref);
    if (walks > 0) {
      size_t left = GOTAP_AREA_MAX - std::min<size_t>(GOTAP_AREA_MAX / 2, 16 * captures_.size());
      auto budget = static_cast<uint16_t>(std::max<size_t>(left / walks, 64));
      for (gotap_capture& c : captures_) {
        if (gotap_deref_walks(c.deref)) c.max_len = budget;
      }
    }
    return std::move(captures_);
  }
  size_t dropped() const { return dropped_; }

 private:
  bool Add(gotap_capture c, uint64_t value_offset, uint64_t size, ValueBinding* b) {
    if (captures_.size() >= GOTAP_MAX_CAPTURES) {
      ++dropped_;
      return false;
    }
    b->pieces.push_back({static_cast<uint32_t>(captures_.size()), value_offset, size});
    captures_.push_back(c);
    return true;
  }

  // The slot that holds exactly the 8 bytes at value offset `at`, if any.
  std::optional<uint32_t> SlotAt(const ValueBinding& b, uint64_t at) const {
    for (const auto& p : b.pieces) {
      if (p.value_offset == at && p.size == 8) return p.slot;
    }
    return std::nullopt;
  }

  // Strings and []byte anywhere in the value get their contents copied; interfaces and
  // pointers are walked (bpf/iface_intf.h).
  void AddPointees(const dwarf::Type& t, uint64_t at, int depth, ValueBinding* b) {
    if (depth > 4) return;
    if (t.kind == Kind::kPointer && t.elem != nullptr && typed_root_) {
      auto ptr = SlotAt(*b, at);
      if (!ptr || captures_[*ptr].deref != GOTAP_DEREF_NONE) return;
      if (auto root = typed_root_(*t.elem)) {
        captures_[*ptr].deref = GOTAP_DEREF_TYPED;
        captures_[*ptr].len_slot = *root;
        b->ifaces.emplace_back(at, *ptr);
      }
      return;
    }
    if (t.kind == Kind::kInterface || t.kind == Kind::kEmptyInterface) {
      auto word0 = SlotAt(*b, at);
      auto data = SlotAt(*b, at + 8);
      if (word0 && data && captures_[*word0].deref == GOTAP_DEREF_NONE) {
        gotap_capture& c = captures_[*word0];
        c.deref = t.kind == Kind::kEmptyInterface ? GOTAP_DEREF_EFACE : GOTAP_DEREF_IFACE;
        c.len_slot = static_cast<uint8_t>(*data);
        b->ifaces.emplace_back(at, *word0);
      }
      return;
    }
    bool bytes = t.kind == Kind::kSlice && t.elem != nullptr && t.elem->size == 1;
    if (t.kind == Kind::kString || bytes) {
      auto ptr = SlotAt(*b, at);
      auto len = SlotAt(*b, at + 8);
      if (ptr && len && captures_[*ptr].deref == GOTAP_DEREF_NONE) {
        captures_[*ptr] =
            bpf::WithStringData(captures_[*ptr], static_cast<uint8_t>(*len), string_length_);
        b->pointees.emplace_back(at, *ptr);
      }
      return;
    }
    if (t.kind == Kind::kStruct) {
      for (const dwarf::Field& f : t.fields) AddPointees(*f.type, at + f.offset, depth + 1, b);
    } else if (t.kind == Kind::kArray && t.elem != nullptr && t.array_length <= 8) {
      for (uint64_t i = 0; i < t.array_length; ++i) {
        AddPointees(*t.elem, at + i * t.elem->size, depth + 1, b);
      }
    }
  }

  arch::Arch arch_;
  uint16_t string_length_;
  TypedRoot typed_root_;
  std::vector<gotap_capture> captures_;
  size_t dropped_ = 0;
};

}  // namespace

StatusOr<TracePlan> PlanTrace(const gobin::Binary& binary,
                              const std::vector<probe::Selector>& selectors,
                              const PlanOptions& options) {
  if (binary.arch() != arch::Arch::kX86_64) {
    return Unsupported("tracing {} binaries needs a {} host; this host is x86_64",
                       arch::ArchName(binary.arch()), arch::ArchName(binary.arch()));
  }
  ASSIGN_OR_RETURN(auto targets, probe::ResolveSelectors(binary, selectors));
  // --ctx-from: lenders are probed too; those not traced themselves stay quiet.
  std::set<uint64_t> lenders, traced;
  for (const auto& [record, selector] : targets) traced.insert(record->entry);
  if (!options.ctx_from.empty()) {
    ASSIGN_OR_RETURN(auto lending, probe::ResolveSelectors(binary, options.ctx_from));
    for (const auto& target : lending) {
      lenders.insert(target.first->entry);
      if (!traced.count(target.first->entry)) targets.push_back(target);
    }
  }
  const arch::RegisterAbi& regs = arch::GoRegisterAbi(arch::Arch::kX86_64);
  const gobin::RuntimeModel& runtime = binary.runtime();
  bpf::GoroutineLayout goroutine;
  if (binary.abi() == gobin::Abi::kRegister) {
    goroutine.g_source = GOTAP_G_REG;
    goroutine.g_offset = static_cast<int16_t>(regs.g.pt_regs_offset);
  } else {
    goroutine.g_source = GOTAP_G_TLS;
    goroutine.g_offset = static_cast<int16_t>(runtime.tls_g_offset());
  }
  goroutine.goid_offset = static_cast<uint16_t>(runtime.goid().offset);
  goroutine.stack_hi_offset = static_cast<uint16_t>(runtime.stack_hi_offset());

  auto dwarf = binary.dwarf();
  TracePlan plan;
  plan.count_only = options.count_only;
  plan.histogram = options.histogram;
  plan.ctx_key = options.ctx_key;
  std::shared_ptr<IfaceTypes> iface_types = IfaceTypes::Build(binary, options.string_length);
  plan.iface_types = iface_types;
  bool any_interface = false;
  // Named types by value in signatures, laid out from the binary's type data: loaded once, on
  // the first signature that needs it.
  std::unique_ptr<probe::TypeData> type_data;
  std::shared_ptr<probe::TypeArena> named_types;
  Status type_data_status = Status::Ok();
  auto load_type_data = [&]() -> Status {
    if (type_data || !type_data_status.ok()) return type_data_status;
    auto loaded = probe::TypeData::Load(binary);
    if (!loaded.ok()) return type_data_status = loaded.status();
    type_data = std::move(loaded).value();
    named_types = std::make_shared<probe::TypeArena>();
    plan.keep_alive.push_back(named_types);
    return Status::Ok();
  };
  // Pointers in traced values are followed at the probe (trace mode only), as their pointee's
  // type from the binary's type data; a pointee the type data lacks stays an address.
  CaptureBuilder::TypedRoot typed_root;
  if (options.follow_pointers && !options.count_only && !options.histogram) {
    typed_root = [&](const dwarf::Type& pointee) -> std::optional<uint8_t> {
      if (!iface_types->resolves() || !load_type_data().ok()) return std::nullopt;
      auto vaddr = type_data->Resolve(pointee.name);
      if (!vaddr.ok()) return std::nullopt;
      return iface_types->TypedRoot(*vaddr);
    };
  }
  for (auto [record, selector] : targets) {
    TracedFunction fn;
    fn.func_id = static_cast<uint32_t>(plan.functions.size());
    fn.name = std::string(binary.Name(*record));
    fn.entry = record->entry;
    fn.quiet = !traced.count(record->entry);
    auto analyzed = binary.Analyze(*record);
    if (auto why = gobin::UnpairableReason(fn.name); why || !analyzed.ok()) {
      LeaveOut(fn, why ? std::string(*why) : std::string(analyzed.status().message()), &plan);
      plan.functions.push_back(std::move(fn));
      continue;
    }
    const arch::CodeAnalysis& analysis = *analyzed;
    // Where the entry probe goes (probe/entry_site.h). At the stack check's branch, the BPF
    // program drops the second hit (same goroutine, same depth, same function on top, and the
    // function's morestack block was seen in between).
    fn.entry_probe = analysis.entry_probe;
    // Counting sites keep no per-goroutine state to de-duplicate with: they count at the
    // analysis' count site (emulated), corrected by the morestack call where needed.
    if (!options.count_only) {
      probe::EntrySite entry = probe::CheapEntrySite(analysis);
      fn.entry_probe = entry.vaddr;
      if (entry.fires_again_on_stack_growth) fn.entry_flags = GOTAP_SITE_F_DEDUP;
    }
    // A latency entry captures nothing, so it may sit further in: at the emulated instruction
    // the straight line from entry reaches before SP moves (leaf functions).
    if (options.histogram && analysis.count_site_on_straight_line) {
      fn.entry_probe = analysis.count_site;
    }
    // Exits: every RET and every tail jump; none for the runtime's functions that leave some
    // other way (gobin/runtime_exits.h), which would otherwise look like panics.
    const std::optional<std::string_view> leaves_otherwise = gobin::NonReturningReason(fn.name);
    if (leaves_otherwise) {
      fn.no_return = std::string(*leaves_otherwise);
    } else {
      fn.return_sites = analysis.return_sites;
      fn.tail_jump_sites = analysis.tail_jump_sites;
      // Assembly leaves by indirect jumps too; compiled code uses them only for jump tables.
      if (record->flags & gobin::kFuncFlagAsm) {
        fn.tail_jump_sites.insert(fn.tail_jump_sites.end(), analysis.indirect_jump_sites.begin(),
                                  analysis.indirect_jump_sites.end());
        std::sort(fn.tail_jump_sites.begin(), fn.tail_jump_sites.end());
      }
    }
    fn.entry_only = fn.return_sites.empty() && fn.tail_jump_sites.empty();
    if (fn.entry_only && fn.no_return.empty()) fn.no_return = "no RET or tail jump to probe";
    // Counting needs only the entry probe, and the runtime's non-returning functions are
    // expected: only a compiled function without an exit is worth a line.
    if (fn.entry_only && !options.count_only && !leaves_otherwise) {
      plan.warnings.push_back(
          fmt::format("{} has no RET or tail jump: entry-only (no results, no latency)", fn.name));
    }

    // Types: DWARF, else the selector's signature, else raw words.
    std::optional<probe::Signature> signature;
    bool pointer_receiver = false;
    const dwarf::Function* dwarf_fn = dwarf.ok() ? (*dwarf)->FindFunction(fn.name) : nullptr;
    if (dwarf_fn != nullptr) {
      if (selector->signature) {
        RETURN_IF_ERROR(probe::CheckSignatureAgainstDwarf(*selector->signature, *dwarf_fn));
      }
      signature = probe::SignatureFromDwarf(*dwarf_fn);
      fn.types_from = "dwarf";
    } else if (selector->signature) {
      signature = *selector->signature;
      pointer_receiver = probe::HasPointerReceiver(fn.name);
      fn.types_from = "signature";
      plan.keep_alive.push_back(selector->types);
      if (probe::HasUnresolvedTypes(*signature)) {
        if (Status loaded = load_type_data(); !loaded.ok()) {
          return loaded.WithContext(
              fmt::format("{}: named types in a signature need the binary's type data", fn.name));
        }
        auto laid_out = probe::LayOutNamedTypes(*signature, *type_data, *named_types);
        if (!laid_out.ok()) return laid_out.status().WithContext(fn.name);
        signature = std::move(laid_out).value();
        fn.types_from = "signature and type data";
      }
    } else {
      fn.types_from = "raw words";
    }

    // Shape instantiations of generic functions take a dictionary pointer before their
    // parameters; optimised builds leave it out of DWARF, and users never write it.
    if (signature && fn.name.find("[go.shape.") != std::string::npos &&
        (signature->params.empty() || signature->params[0].name != ".dict")) {
      signature->params.insert(signature->params.begin(),
                               probe::Value{".dict", RawWordType(), true});
    }

    // Assembly (ABI0) keeps no g in R14: it may hold anything there, and runtime.systemstack
    // returns with R14 still pointing at g0. The thread-local g is right in every function.
    bpf::GoroutineLayout fn_goroutine = goroutine;
    if ((record->flags & gobin::kFuncFlagAsm) && goroutine.g_source == GOTAP_G_REG) {
      fn_goroutine.g_source = GOTAP_G_TLS;
      fn_goroutine.g_offset = static_cast<int16_t>(runtime.tls_g_offset());
    }

    CaptureBuilder args(arch::Arch::kX86_64, options.string_length, typed_root);
    CaptureBuilder results(arch::Arch::kX86_64, options.string_length, typed_root);
    if (signature) {
      auto layout = probe::ComputeFrameLayout(arch::Arch::kX86_64, binary.abi(), pointer_receiver,
                                              *signature);
      if (!layout.ok()) return layout.status().WithContext(fn.name);
      for (const auto& v : layout->args) fn.args.push_back(args.Bind(v));
      for (const auto& v : layout->results) fn.results.push_back(results.Bind(v));
    } else if (binary.abi() == gobin::Abi::kRegister) {
      uint64_t words = record->args == static_cast<int32_t>(kArgsSizeUnknown)
                           ? 4
                           : static_cast<uint64_t>(std::max(record->args, 0)) / 8;
      for (uint64_t i = 0; i < words && i < regs.int_args.size(); ++i) {
        const arch::Register& r = regs.int_args[i];
        fn.args.push_back(args.BindRaw(r.name, static_cast<int16_t>(r.pt_regs_offset), 0));
      }
      // Whatever the result registers hold at a RET may be left over from anything: without
      // types there are no results to show (issue: "no invented values").
      fn.results_unknown = true;
    } else {
      uint64_t words = std::min<uint64_t>(static_cast<uint64_t>(std::max(record->args, 0)) / 8, 6);
      for (uint64_t i = 0; i < words; ++i) {
        int16_t off = static_cast<int16_t>(8 + 8 * i);
        fn.args.push_back(args.BindRaw(fmt::format("sp+{}", off), std::nullopt, off));
      }
      fn.results_unknown = true;
    }
    // Values are shown only when calls are (not with --count or latency histograms).
    if (args.dropped() + results.dropped() > 0 && !options.count_only && !options.histogram) {
      plan.warnings.push_back(
          fmt::format("{}: {} value words past the {}-slot capture budget "
                      "are not captured",
                      fn.name, args.dropped() + results.dropped(), int{GOTAP_MAX_CAPTURES}));
    }
    if (lenders.count(fn.entry)) {
      auto ctx = std::find_if(fn.args.begin(), fn.args.end(), [](const ValueBinding& b) {
        return b.type->name == "context.Context";
      });
      if (ctx != fn.args.end() && args.Lend(*ctx)) {
        results.EndLoan();
      } else {
        plan.warnings.push_back(fmt::format(
            "--ctx-from: {} has no context.Context parameter{}: it lends nothing", fn.name,
            fn.types_from == "raw words" ? " known (no DWARF; give its signature)" : ""));
      }
    } else if (!options.ctx_from.empty() &&
               std::none_of(fn.args.begin(), fn.args.end(), [](const ValueBinding& b) {
                 return b.type->name == "context.Context";
               })) {
      fn.args.push_back(args.BindLoan("caller_ctx"));
    }
    for (const auto* values : {&fn.args, &fn.results}) {
      for (const ValueBinding& v : *values) any_interface |= !v.ifaces.empty();
    }
    fn.arg_captures = args.TakeCaptures();
    fn.result_captures = results.TakeCaptures();
    if (!plan.iface_types->resolves()) {
      // Nothing to name the walked types with (see the note): capture the two words only.
      for (auto* captures : {&fn.arg_captures, &fn.result_captures}) {
        for (gotap_capture& c : *captures) {
          if (gotap_deref_walks(c.deref)) {
            c.deref = GOTAP_DEREF_NONE;
            c.len_slot = 0;
            c.max_len = 0;
          }
        }
      }
      for (auto* values : {&fn.args, &fn.results}) {
        for (ValueBinding& v : *values) v.ifaces.clear();
      }
    }

    // Sites: the entry probe, its morestack block when it has one, then every exit.
    auto add_site = [&](uint64_t vaddr, gotap_site_kind kind,
                        const std::vector<gotap_capture>& captures, uint8_t flags) -> Status {
      if (!analysis.IsInstructionBoundary(vaddr)) {
        return Internal("probe site {:#x} is not an instruction boundary", vaddr);
      }
      auto offset = binary.elf().VaddrToFileOffset(vaddr);
      if (!offset) return Malformed("probe site {:#x} is not in the file", vaddr);
      ASSIGN_OR_RETURN(gotap_site_spec spec,
                       bpf::MakeSiteSpec(fn.func_id, kind, fn_goroutine, captures, flags));
      spec.vaddr = vaddr;  // the BPF program learns a PIE target's load bias from it
      plan.specs.push_back(spec);
      plan.file_offsets.push_back(*offset);
      return Status::Ok();
    };
    // A de-duplicated entry site needs the morestack block's site to tell a re-entry after
    // morestack from a new call at the same depth (after a panic abandoned the previous one).
    auto add_morestack_site = [&]() -> Status {
      if (!(fn.entry_flags & GOTAP_SITE_F_DEDUP) || fn.entry_only) return Status::Ok();
      if (!analysis.morestack_block) {
        return Internal("stack check without a morestack block");
      }
      return add_site(*analysis.morestack_block, GOTAP_SITE_MORESTACK, {}, 0);
    };
    // The entry site, then every exit. An exit at the entry's own address (a function that is
    // one RET or one tail jump) is not attached: the entry runs it (GOTAP_SITE_F_EXIT_HERE).
    auto add_entry_and_exits =
        [&](const std::vector<gotap_capture>& entry_captures, uint8_t entry_flags,
            const std::vector<gotap_capture>& exit_captures, uint8_t exit_flags) -> Status {
      const size_t entry_index = plan.specs.size();
      RETURN_IF_ERROR(add_site(fn.entry_probe, GOTAP_SITE_ENTRY, entry_captures, entry_flags));
      RETURN_IF_ERROR(add_morestack_site());
      auto add_exit = [&](uint64_t at, bool tail) -> Status {
        // A tail call leaves before the results exist: nothing to capture or count there.
        uint8_t flags =
            tail ? (exit_flags & ~GOTAP_SITE_F_COUNT_ERRORS) | GOTAP_SITE_F_TAIL_CALL : exit_flags;
        RETURN_IF_ERROR(add_site(at, GOTAP_SITE_RETURN,
                                 tail ? std::vector<gotap_capture>{} : exit_captures, flags));
        if (at == fn.entry_probe) {
          gotap_site_spec& entry = plan.specs[entry_index];
          entry.flags |= GOTAP_SITE_F_EXIT_HERE;
          entry.exit_delta = static_cast<uint16_t>(plan.specs.size() - 1 - entry_index);
          plan.file_offsets.back() = kChainedSite;
        }
        return Status::Ok();
      };
      for (uint64_t ret : fn.return_sites) RETURN_IF_ERROR(add_exit(ret, false));
      for (uint64_t jump : fn.tail_jump_sites) RETURN_IF_ERROR(add_exit(jump, true));
      return Status::Ok();
    };
    auto add_sites = [&]() -> Status {
      if (options.count_only) {
        RETURN_IF_ERROR(add_site(analysis.count_site, GOTAP_SITE_COUNT, {}, 0));
        if (!analysis.count_correction_site) return Status::Ok();
        return add_site(*analysis.count_correction_site, GOTAP_SITE_COUNT, {},
                        GOTAP_SITE_F_UNCOUNT);
      }
      if (options.histogram) {
        if (fn.entry_only) return Status::Ok();  // no exit, no latency (warned above)
        std::optional<gotap_capture> error_word = ErrorResultWord(fn);
        fn.counts_errors = error_word.has_value();
        return add_entry_and_exits(
            {}, fn.entry_flags,
            error_word ? std::vector<gotap_capture>{*error_word} : std::vector<gotap_capture>{},
            GOTAP_SITE_F_HISTOGRAM | (error_word ? GOTAP_SITE_F_COUNT_ERRORS : 0));
      }
      if (fn.entry_only) {
        RETURN_IF_ERROR(add_site(fn.entry_probe, GOTAP_SITE_ENTRY, fn.arg_captures,
                                 GOTAP_SITE_F_ENTRY_ONLY | fn.entry_flags));
        return add_morestack_site();
      }
      return add_entry_and_exits(fn.arg_captures, fn.entry_flags, fn.result_captures, 0);
    };
    // A function whose code gotap cannot place a probe in is left out, with the reason; the
    // rest of the selection is traced.
    const size_t sites_before = plan.specs.size();
    if (Status added = add_sites(); !added.ok()) {
      plan.specs.resize(sites_before);
      plan.file_offsets.resize(sites_before);
      LeaveOut(fn, std::string(added.message()), &plan);
    }
    plan.functions.push_back(std::move(fn));
  }
  if (any_interface && !plan.iface_types->note().empty()) {
    plan.warnings.push_back(plan.iface_types->note());
  }
  // Values are captured only in trace mode: the struct recipes are needed there alone.
  if (any_interface && !options.count_only && !options.histogram) {
    iface_types->AddUserStructs(binary, options.string_length);
  }
  if (any_interface && plan.iface_types->structs_without_recipe() > 0) {
    plan.warnings.push_back(fmt::format(
        "{} of the program's struct types print by name only behind interfaces (the kernel's "
        "recipe map holds {}; OpenTelemetry spans and error types come first)",
        plan.iface_types->structs_without_recipe(), int{GOTAP_IFACE_MAX_RECIPES}));
  }
  if (plan.specs.size() > options.max_sites) {
    return InvalidArgument(
        "the selection needs {} probe sites ({} functions); the kernel attaches at most {} in one "
        "run: narrow it (e.g. 'main.*' or a package path)",
        plan.specs.size(), plan.functions.size(), options.max_sites);
  }
  size_t typeless = 0;
  for (const TracedFunction& fn : plan.functions) typeless += fn.results_unknown && !fn.entry_only;
  if (typeless > 0 && !options.count_only && !options.histogram) {
    plan.warnings.push_back(fmt::format(
        "{} function{} without DWARF or a signature: arguments show as raw words and results as "
        "unknown; give a signature to decode them, e.g. 'main.f(id int, name string) (bool, "
        "error)'",
        typeless, typeless == 1 ? "" : "s"));
  }
  DropRefusedSites(binary, &plan);  // sites the kernel would refuse (trace/site_screen.h)
  return plan;
}

std::optional<gotap_capture> ErrorResultWord(const TracedFunction& fn) {
  auto error = std::find_if(fn.results.rbegin(), fn.results.rend(),
                            [](const ValueBinding& b) { return b.type->name == "error"; });
  if (error == fn.results.rend()) return std::nullopt;
  for (const ValueBinding::SlotPiece& piece : error->pieces) {
    if (piece.value_offset != 0 || piece.size != 8 || piece.slot >= fn.result_captures.size()) {
      continue;
    }
    gotap_capture word = fn.result_captures[piece.slot];
    if (word.size != 8) return std::nullopt;
    word.deref = GOTAP_DEREF_NONE;  // nil or not is all a counter needs
    word.len_slot = 0;
    word.max_len = 0;
    return word;
  }
  return std::nullopt;
}

void LeaveOut(TracedFunction& fn, std::string why, TracePlan* plan) {
  fn.untraced = std::move(why);
  plan->warnings.push_back(fmt::format("not tracing {}: {}", fn.name, fn.untraced));
}

AttachableSites SitesToAttach(const TracePlan& plan) {
  AttachableSites out;
  for (size_t i = 0; i < plan.specs.size() && i < plan.file_offsets.size(); ++i) {
    if (plan.file_offsets[i] == kChainedSite) continue;
    out.file_offsets.push_back(plan.file_offsets[i]);
    out.spec_index.push_back(i);
  }
  return out;
}

std::vector<decode::CapturedValue> BuildValues(const std::vector<ValueBinding>& bindings,
                                               const std::vector<SlotValue>& slots,
                                               bool capture_fault, const TracePlan* plan,
                                               uint64_t now_ns) {
  std::vector<decode::CapturedValue> out;
  out.reserve(bindings.size());
  for (const ValueBinding& b : bindings) {
    if (b.name.starts_with('.')) continue;  // compiler-internal (.dict): not the user's value
    auto v = decode::CapturedValue::Make(b.name, b.type, decode::ByteState::kNotCaptured);
    for (const auto& u : b.unknown) v.Mark(u.value_offset, u.size, u.state);
    for (const auto& p : b.pieces) {
      if (p.slot < slots.size() && slots[p.slot].present) {
        v.Fill(p.value_offset, p.size, slots[p.slot].raw);
      } else {
        v.Mark(p.value_offset, p.size,
               capture_fault ? decode::ByteState::kFault : decode::ByteState::kNotCaptured);
      }
    }
    for (const auto& [offset, slot] : b.pointees) {
      if (slot >= slots.size() || !slots[slot].present) continue;
      decode::Pointee p;
      p.read_failed = !slots[slot].has_data;
      p.bytes = slots[slot].data;
      v.pointees.emplace(offset, std::move(p));
    }
    for (const auto& [offset, slot] : b.ifaces) {
      // Without the plan's types the raw words read better than unnamed nodes.
      if (plan == nullptr || !plan->iface_types) break;
      if (slot >= slots.size() || !slots[slot].present || !slots[slot].has_data) continue;
      Bytes blob(reinterpret_cast<const uint8_t*>(slots[slot].data.data()),
                 slots[slot].data.size());
      if (auto node = decode::ParseIfaceBlob(blob, plan->iface_types->AsLookup())) {
        v.ifaces.emplace(offset, std::move(*node));
      }
    }
    v.now_ns = now_ns;
    if (plan != nullptr) v.ctx_key = plan->ctx_key;
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace gotap::trace
