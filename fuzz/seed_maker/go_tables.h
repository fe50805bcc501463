// seed_maker's reading side: a few consecutive functions of a real Go binary (Go >= 1.18
// pclntab), with everything needed to write them back as a small table in any pclntab format.
// The inputs are our own fixtures, not hostile files, but every read is still bounds-checked.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gotap::seeds {

using ByteVector = std::vector<uint8_t>;

// One entry of a function's inline tree (FUNCDATA_InlTree), independent of its encoding (20
// bytes up to Go 1.19, 16 from Go 1.20).
struct InlineEntry {
  int16_t parent = -1;  // up to Go 1.19
  uint8_t func_id = 0;
  int32_t file = 0;  // up to Go 1.19
  int32_t line = 0;  // up to Go 1.19
  std::string name;  // the inlined function
  int32_t parent_pc = 0;
  int32_t start_line = 0;  // from Go 1.20
};

// FUNCDATA_InlTree's index from Go 1.16 on (4 in the Go 1.2 table format of Go 1.14-1.15).
constexpr size_t kFuncdataInlTree = 3;

struct SeedFunction {
  std::string name;         // as in pclntab (type arguments abbreviated to [...])
  std::string symtab_name;  // from .symtab when the source has one, else == name
  uint64_t entry = 0;       // link-time vaddr
  uint64_t end = 0;         // link-time vaddr one past the last byte
  int32_t args = 0;
  uint32_t deferreturn = 0;
  int32_t start_line = 0;
  uint8_t func_id = 0;
  uint8_t flag = 0;
  // Raw pc-value tables, up to and including their terminator; empty = absent.
  ByteVector pcsp, pcfile, pcln;
  std::vector<ByteVector> pcdata;
  std::vector<uint32_t> funcdata;  // offsets from moduledata.gofunc; UINT32_MAX = absent
  // Decoded from funcdata[kFuncdataInlTree]; empty if absent or unreadable.
  std::vector<InlineEntry> inline_tree;
};

// A window of consecutive functions and the context a table or ELF file around them needs.
struct SeedSource {
  std::string label;     // file name, for naming seeds
  uint16_t machine = 0;  // EM_X86_64 or EM_AARCH64
  uint8_t quantum = 1;
  bool go120 = false;       // the source table's format: 1.20 (else 1.18)
  uint64_t text_start = 0;  // runtime.text (link-time vaddr)
  // File bytes from code_vaddr on: all functions' code, or in `only` mode the first one's.
  uint64_t code_vaddr = 0;
  ByteVector code;
  std::vector<SeedFunction> functions;
  std::string go_version;  // from .go.buildinfo
  std::string modinfo;     // runtime.modinfo text, sentinels included
};

// Which functions to take: `count` functions starting at the first whose name `starts` accepts,
// fewer when their code would exceed `max_code`. Or, if `only` is set, exactly the functions of
// those names (and the successor of the first one, to keep its end), with the code of the first
// one only.
struct WindowSpec {
  std::function<bool(std::string_view name)> starts;
  size_t count = 12;
  uint64_t max_code = 24 * 1024;
  std::vector<std::string> only;
};

// Reads the binary at `path`; nullopt (with a message on stderr) if it is not a 64-bit
// little-endian, non-PIE Go >= 1.18 ELF executable or no function matches the window.
std::optional<SeedSource> ReadSeedSource(const std::string& path, const WindowSpec& window);

// A section of an ELF file: its link-time vaddr (0 if not loaded) and contents (empty for
// SHT_NOBITS), and the file's e_machine.
struct SectionContents {
  uint64_t vaddr = 0;
  uint64_t size = 0;
  uint16_t machine = 0;
  ByteVector bytes;
};
// The section `name` of the ELF file at `path`; nullopt if it cannot be read or has none.
std::optional<SectionContents> ReadSection(const std::string& path, std::string_view name);

// The contents of the first section of the ELF file at `path` named one of `names`; nullopt if
// the file cannot be read or has none of them.
std::optional<ByteVector> ReadSectionBytes(const std::string& path,
                                           const std::vector<std::string_view>& names);

}  // namespace gotap::seeds
