// gobin::Binary — the model of one Go executable, built without running it: build info,
// every function from pclntab (also in stripped binaries), ABI, goid offset, and, when present,
// symbols and DWARF. Binary analysis runs unprivileged and never touches BPF.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/mapped_file.h"
#include "base/status.h"
#include "elf/elf_file.h"
#include "gobin/buildinfo.h"
#include "gobin/goid.h"
#include "gobin/inline_tree.h"
#include "gobin/moduledata.h"
#include "gobin/pclntab.h"

namespace gotap::gobin {

enum class Abi {
  kRegister,  // ABIInternal: Go >= 1.17 on amd64, >= 1.18 on arm64
  kStack,     // ABI0: all arguments and results on the stack
};
const char* AbiName(Abi abi);  // "register" | "stack"

class Binary {
 public:
  // Errors say what is wrong with the file in a few words; callers prefix the path.
  static StatusOr<std::unique_ptr<Binary>> Open(const std::string& path);
  // Parses an in-memory image (for fuzzing and tests); `bytes` must outlive the Binary.
  static StatusOr<std::unique_ptr<Binary>> Parse(Bytes bytes, std::string path);

  Binary(const Binary&) = delete;
  Binary& operator=(const Binary&) = delete;

  const std::string& path() const { return path_; }
  const elf::ElfFile& elf() const { return *elf_; }
  elf::Machine machine() const { return elf_->machine(); }
  // Absent for Go < 1.13 or a binary whose build info was removed.
  const std::optional<BuildInfo>& build_info() const { return build_info_; }
  // "go1.19.8" from build info, else "go1.X?" inferred from the pclntab format.
  std::string go_version() const;
  std::pair<int, int> go_major_minor() const;
  Abi abi() const { return abi_; }
  const Pclntab& pclntab() const { return *pclntab_; }
  const char* pclntab_found_by() const { return pclntab_found_by_; }
  const std::optional<Moduledata>& moduledata() const { return moduledata_; }
  bool has_symtab() const { return elf_->has_symtab(); }
  bool has_dwarf() const { return has_dwarf_; }
  const GoidOffset& goid_offset() const { return goid_offset_; }

  const std::vector<FuncRecord>& functions() const { return pclntab_->functions(); }
  // The function's full Go name. pclntab (Go >= 1.18) abbreviates type arguments to `[...]`
  // (`main.Sum[...]`); when `.symtab` is present its name spells them out
  // (`main.Sum[go.shape.int_0]`) and is returned instead.
  std::string_view Name(const FuncRecord& func) const;
  // True for the pclntab twin of a function that the linker emitted as an ABI0<->ABIInternal
  // wrapper (same name as the real function).
  bool IsAbiWrapper(const FuncRecord& func) const;
  // Functions named exactly `name`, the real body first, wrappers after.
  std::vector<const FuncRecord*> FindFunctions(std::string_view name) const;
  // The function whose [entry, end) holds `pc`, or nullptr.
  const FuncRecord* FunctionAt(uint64_t pc) const;
  // Inlining facts, decoded on first use (not thread-safe).
  const InlineIndex& inlines() const;
  // The function's bytes in the file (entry..end, including alignment padding).
  std::optional<Bytes> Code(const FuncRecord& func) const;

 private:
  Binary() = default;
  Status Load(Bytes bytes);
  void ResolveGoidOffset();
  void FindAbiWrappers();
  void RecoverGenericNames();

  std::optional<MappedFile> file_;  // absent when parsed from caller-owned bytes
  std::string path_;
  std::optional<elf::ElfFile> elf_;  // set by Load
  std::optional<BuildInfo> build_info_;
  std::optional<Pclntab> pclntab_;  // set by Load
  const char* pclntab_found_by_ = "";
  std::optional<Moduledata> moduledata_;
  Abi abi_ = Abi::kRegister;
  bool has_dwarf_ = false;
  GoidOffset goid_offset_;
  uint8_t wrapper_func_id_ = 0;    // 0: no wrappers identified
  std::vector<uint32_t> by_name_;  // indices into functions(), sorted by name then entry
  // Entry vaddr -> .symtab name, for functions whose pclntab name abbreviates type arguments.
  std::unordered_map<uint64_t, std::string_view> full_names_;
  mutable std::optional<InlineIndex> inlines_;
};

}  // namespace gotap::gobin
