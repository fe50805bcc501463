#include "gobin/binary.h"

#include <elf.h>
#include <algorithm>

#include <map>

#include "gobin/build_version.h"
#include "gobin/locate.h"

namespace gotap::gobin {

const char* AbiName(Abi abi) { return abi == Abi::kRegister ? "register" : "stack"; }

StatusOr<std::unique_ptr<Binary>> Binary::Open(const std::string& path) {
  ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  std::unique_ptr<Binary> binary(new Binary());
  binary->path_ = path;
  binary->file_.emplace(std::move(file));
  RETURN_IF_ERROR(binary->Load(binary->file_->bytes()));
  return binary;
}

StatusOr<std::unique_ptr<Binary>> Binary::Parse(Bytes bytes, std::string path) {
  std::unique_ptr<Binary> binary(new Binary());
  binary->path_ = std::move(path);
  RETURN_IF_ERROR(binary->Load(bytes));
  return binary;
}

Status Binary::Load(Bytes bytes) {
  ASSIGN_OR_RETURN(elf_, elf::ElfFile::Parse(bytes));
  auto info = ReadBuildInfo(*elf_);
  if (info.ok()) {
    build_info_ = std::move(info).value();
  } else if (info.status().code() != StatusCode::kNotFound) {
    return info.status();
  }
  auto location = LocatePclntab(*elf_);
  if (!location.ok()) {
    if (location.status().code() == StatusCode::kNotFound) {
      return NotFound("not a Go binary (no pclntab{})", build_info_ ? "" : ", no Go build info");
    }
    return location.status();
  }
  pclntab_location_ = *location;
  if (!Pclntab::LooksLikeHeader(location->bytes)) return Malformed("bad pclntab header");
  // The moduledata layout depends on the table version; peek at the magic to pick it.
  auto version = Pclntab::Parse(location->bytes, location->vaddr, /*text_start=*/1);
  if (!version.ok()) return version.status().WithContext("pclntab");
  moduledata_location_ = LocateModuledata(*elf_, location->vaddr);
  if (moduledata_location_) {
    moduledata_ =
        ReadModuledata(*elf_, *moduledata_location_, version->version(), go_major_minor());
  }
  uint64_t text_start = 0;
  if (version->header_text_start_is_zero() || elf_->is_position_independent()) {
    // Go >= 1.26 writes 0; PIE binaries may hold 0 in the file and fix it up at load time.
    if (auto addend = ReadLinkTimeWord(*elf_, location->vaddr + 24);
        addend && *addend != 0 && version->version() >= PclntabVersion::kGo118) {
      text_start = *addend;
    } else if (moduledata_ && moduledata_->text) {
      text_start = *moduledata_->text;
    } else if (const elf::Symbol* sym = elf_->FindSymbol("runtime.text")) {
      text_start = sym->value;
    }
  }
  auto parsed = Pclntab::Parse(location->bytes, location->vaddr, text_start);
  if (!parsed.ok()) return parsed.status().WithContext("pclntab");
  pclntab_.emplace(std::move(parsed).value());
  if (pclntab_->functions().empty()) return Malformed("pclntab lists no functions");

  has_dwarf_ =
      elf_->FindSection(".debug_info") != nullptr || elf_->FindSection(".zdebug_info") != nullptr;
  FindAbiWrappers();
  RecoverGenericNames();
  if (!build_info_ || build_info_->MajorMinor().first == 0) {
    // Build info removed: the runtime's own copy of the version, found among the data
    // (schedinit's code settles a tie). Before the ABI, which depends on it.
    auto schedinit = FindFunctions("runtime.schedinit");
    std::optional<Bytes> code;
    uint64_t entry = 0;
    if (!schedinit.empty() && arch() == arch::Arch::kX86_64) {
      code = Code(*schedinit.front());
      entry = schedinit.front()->entry;
    }
    runtime_build_version_ = FindRuntimeBuildVersion(*elf_, code, entry);
  }
  auto [major, minor] = go_major_minor();
  bool register_abi = elf_->machine() == elf::Machine::kX86_64
                          ? std::pair{major, minor} >= std::pair{1, 17}
                          : std::pair{major, minor} >= std::pair{1, 18};
  abi_ = register_abi ? Abi::kRegister : Abi::kStack;
  return Status::Ok();
}

std::pair<int, int> Binary::go_major_minor() const {
  if (build_info_) {
    auto v = build_info_->MajorMinor();
    if (v.first != 0) return v;
  }
  if (runtime_build_version_) return ParseGoVersion(*runtime_build_version_);
  if (!pclntab_) return {0, 0};
  // Without build info, the table format bounds the version; take its first release.
  switch (pclntab_->version()) {
    case PclntabVersion::kGo12:
      return {1, 2};
    case PclntabVersion::kGo116:
      return {1, 16};
    case PclntabVersion::kGo118:
      return {1, 18};
    case PclntabVersion::kGo120:
      return {1, 20};
  }
  return {0, 0};
}

std::string Binary::go_version() const {
  if (build_info_ && !build_info_->go_version.empty()) return build_info_->go_version;
  if (runtime_build_version_) return *runtime_build_version_;
  auto [major, minor] = go_major_minor();
  return fmt::format("go{}.{}?", major, minor);
}

const char* Binary::go_version_source() const {
  if (build_info_ && !build_info_->go_version.empty()) return "build info";
  if (runtime_build_version_) return "runtime.buildVersion";
  return "pclntab format";
}

const RuntimeModel& Binary::runtime() const {
  if (!runtime_) runtime_.emplace(RuntimeModel::Derive(*this));
  return *runtime_;
}

StatusOr<const dwarf::DwarfInfo*> Binary::dwarf() const {
  if (!has_dwarf_) return NotFound("no DWARF (stripped)");
  if (!dwarf_) {
    if (file_) {
      dwarf_.emplace(dwarf::DwarfInfo::Open(path_));
    } else {
      dwarf_.emplace(Unsupported("DWARF is only read from files"));
    }
  }
  if (!dwarf_->ok()) return dwarf_->status();
  return &dwarf_->value();
}

void Binary::FindAbiWrappers() {
  const auto& funcs = functions();
  by_name_.resize(funcs.size());
  for (uint32_t i = 0; i < funcs.size(); ++i) by_name_[i] = i;
  std::sort(by_name_.begin(), by_name_.end(), [&](uint32_t a, uint32_t b) {
    return funcs[a].name != funcs[b].name ? funcs[a].name < funcs[b].name
                                          : funcs[a].entry < funcs[b].entry;
  });
  // The linker's wrappers share their target's name and carry one funcID whose number differs
  // between Go versions; take the funcID most common among same-name twins.
  std::map<uint8_t, int> votes;
  for (size_t i = 1; i < by_name_.size(); ++i) {
    const FuncRecord& a = funcs[by_name_[i - 1]];
    const FuncRecord& b = funcs[by_name_[i]];
    if (a.name != b.name) continue;
    if (a.func_id != 0) ++votes[a.func_id];
    if (b.func_id != 0) ++votes[b.func_id];
  }
  int best = 0;
  for (auto [id, count] : votes) {
    if (count > best) best = count, wrapper_func_id_ = id;
  }
  // Put real bodies before wrappers within a name group.
  std::stable_sort(by_name_.begin(), by_name_.end(), [&](uint32_t a, uint32_t b) {
    if (funcs[a].name != funcs[b].name) return funcs[a].name < funcs[b].name;
    return !IsWrapper(funcs[a]) && IsWrapper(funcs[b]);
  });
}

namespace {

// "a[b[c]]d[e]" -> "a[...]d[...]": how the linker abbreviates type arguments in pclntab.
std::string ElideTypeArguments(std::string_view name) {
  std::string out;
  int depth = 0;
  for (char c : name) {
    if (c == '[') {
      if (depth++ == 0) out += "[...]";
    } else if (c == ']') {
      if (depth > 0) --depth;
    } else if (depth == 0) {
      out += c;
    }
  }
  return out;
}

}  // namespace

void Binary::RecoverGenericNames() {
  if (!elf_->has_symtab()) return;
  for (const elf::Symbol& sym : elf_->symbols()) {
    if (sym.type != STT_FUNC || sym.name.find('[') == std::string_view::npos) continue;
    const FuncRecord* f = FunctionAt(sym.value);
    if (f == nullptr || f->entry != sym.value || f->name == sym.name) continue;
    if (ElideTypeArguments(sym.name) == f->name) full_names_[f->entry] = sym.name;
  }
}

std::string_view Binary::Name(const FuncRecord& func) const {
  if (!full_names_.empty()) {
    if (auto it = full_names_.find(func.entry); it != full_names_.end()) return it->second;
  }
  return func.name;
}

bool Binary::IsWrapper(const FuncRecord& func) const {
  return wrapper_func_id_ != 0 && func.func_id == wrapper_func_id_;
}

std::vector<const FuncRecord*> Binary::FindFunctions(std::string_view name) const {
  const auto& funcs = functions();
  auto it = std::lower_bound(by_name_.begin(), by_name_.end(), name,
                             [&](uint32_t i, std::string_view n) { return funcs[i].name < n; });
  std::vector<const FuncRecord*> out;
  for (; it != by_name_.end() && funcs[*it].name == name; ++it) out.push_back(&funcs[*it]);
  return out;
}

const FuncRecord* Binary::FunctionAt(uint64_t pc) const {
  const auto& funcs = functions();
  auto it = std::upper_bound(funcs.begin(), funcs.end(), pc,
                             [](uint64_t p, const FuncRecord& f) { return p < f.entry; });
  if (it == funcs.begin()) return nullptr;
  --it;
  return pc < it->end ? &*it : nullptr;
}

const InlineIndex& Binary::inlines() const {
  if (!inlines_) inlines_ = InlineIndex::Build(*pclntab_, inline_tree_reader());
  return *inlines_;
}

InlineTreeReader Binary::inline_tree_reader() const {
  return InlineTreeReader::Create(*elf_, *pclntab_, moduledata_, go_major_minor());
}

StatusOr<arch::CodeAnalysis> Binary::Analyze(const FuncRecord& func) const {
  if (!disassembler_) {
    ASSIGN_OR_RETURN(arch::Disassembler d, arch::Disassembler::Create(arch()));
    disassembler_.emplace(std::move(d));
  }
  std::optional<Bytes> code = Code(func);
  if (!code) return Malformed("code of {} is outside the file's loaded segments", func.name);
  return disassembler_->Analyze(func.entry, *code);
}

std::optional<Bytes> Binary::Code(const FuncRecord& func) const {
  return elf_->ReadVaddr(func.entry, func.end - func.entry);
}

}  // namespace gotap::gobin
