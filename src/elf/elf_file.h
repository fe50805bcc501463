// A parsed ELF64 little-endian executable (x86-64 or arm64). No Go knowledge lives here.
//
// Address spaces: `vaddr` is a link-time virtual address as written in the file (for PIE it is
// relative to the load bias); `offset` is a byte offset into the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"

namespace gotap::elf {

enum class Machine { kX86_64, kAarch64 };
const char* MachineName(Machine machine);  // "x86_64" | "aarch64"

struct Section {
  std::string name;
  uint32_t type = 0;
  uint64_t flags = 0;
  uint64_t vaddr = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint32_t link = 0;
  uint64_t entry_size = 0;
};

struct Segment {
  uint32_t type = 0;
  uint32_t flags = 0;  // PF_R | PF_W | PF_X
  uint64_t offset = 0;
  uint64_t vaddr = 0;
  uint64_t file_size = 0;
  uint64_t mem_size = 0;
  uint64_t align = 0;
};

struct Symbol {
  std::string_view name;  // points into the file's bytes
  uint64_t value = 0;     // link-time vaddr for defined symbols
  uint64_t size = 0;
  uint8_t type = 0;  // STT_*
  uint8_t bind = 0;  // STB_*
  uint16_t section_index = 0;
};

// Views the bytes it was parsed from: they must outlive the ElfFile.
class ElfFile {
 public:
  // Validates the header and the program/section header tables. Errors name the reason in a few
  // words ("not an ELF file", "32-bit ELF is not supported", "truncated section headers", ...).
  static StatusOr<ElfFile> Parse(Bytes file);

  Machine machine() const { return machine_; }
  bool is_position_independent() const { return type_ == 3; }  // ET_DYN
  uint64_t entry_point() const { return entry_; }
  Bytes bytes() const { return file_; }

  const std::vector<Section>& sections() const { return sections_; }
  const std::vector<Segment>& segments() const { return segments_; }
  // Symbols of .symtab; empty when the binary is stripped.
  const std::vector<Symbol>& symbols() const { return symbols_; }
  bool has_symtab() const { return has_symtab_; }

  const Section* FindSection(std::string_view name) const;
  const Symbol* FindSymbol(std::string_view name) const;  // first match, linear
  // The section's bytes in the file; nullopt for SHT_NOBITS or out-of-range headers.
  std::optional<Bytes> SectionData(const Section& section) const;

  // File bytes backing [vaddr, vaddr + length) inside one PT_LOAD segment's file image.
  std::optional<Bytes> ReadVaddr(uint64_t vaddr, uint64_t length) const;
  // All file bytes from vaddr to the end of its PT_LOAD segment's file image.
  std::optional<Bytes> ReadVaddrToSegmentEnd(uint64_t vaddr) const;
  std::optional<uint64_t> VaddrToFileOffset(uint64_t vaddr) const;
  const Segment* SegmentForVaddr(uint64_t vaddr) const;

  // For position-independent executables: the addend of the R_*_RELATIVE dynamic relocation
  // that targets `vaddr`, i.e. the link-time value the loader will store there (plus the bias).
  std::optional<uint64_t> RelativeRelocationAddend(uint64_t vaddr) const;

 private:
  ElfFile() = default;
  Status ParseSegments(const ByteReader& reader, uint64_t phoff, uint16_t phnum,
                       uint16_t phentsize);
  Status ParseSections(const ByteReader& reader, uint64_t shoff, uint16_t shnum, uint16_t shentsize,
                       uint16_t shstrndx);
  Status ParseSymbols(const ByteReader& reader);
  Status ParseRelativeRelocations();

  Bytes file_;
  Machine machine_ = Machine::kX86_64;
  uint16_t type_ = 0;
  uint64_t entry_ = 0;
  std::vector<Section> sections_;
  std::vector<Segment> segments_;
  std::vector<Symbol> symbols_;
  bool has_symtab_ = false;
  std::unordered_map<uint64_t, uint64_t> relative_relocations_;  // target vaddr -> addend
};

}  // namespace gotap::elf
