#include "elf/elf_file.h"

#include <elf.h>

#include <algorithm>
#include <set>

namespace gotap::elf {
namespace {

constexpr uint16_t kMachineX86_64 = 62;
constexpr uint16_t kMachineAarch64 = 183;

}  // namespace

const char* MachineName(Machine machine) {
  return machine == Machine::kX86_64 ? "x86_64" : "aarch64";
}

StatusOr<ElfFile> ElfFile::Parse(Bytes file) {
  ByteReader reader(file);
  if (file.size() < 4 || file[0] != 0x7f || file[1] != 'E' || file[2] != 'L' || file[3] != 'F') {
    return InvalidArgument("not an ELF file");
  }
  if (file.size() < sizeof(Elf64_Ehdr)) {
    if (file.size() > EI_CLASS && file[EI_CLASS] == ELFCLASS32) {
      return Unsupported("32-bit ELF is not supported");
    }
    return Malformed("truncated ELF header");
  }
  if (file[EI_CLASS] == ELFCLASS32) return Unsupported("32-bit ELF is not supported");
  if (file[EI_CLASS] != ELFCLASS64) return Malformed("bad ELF class {}", file[EI_CLASS]);
  if (file[EI_DATA] == ELFDATA2MSB) return Unsupported("big-endian ELF is not supported");
  if (file[EI_DATA] != ELFDATA2LSB) return Malformed("bad ELF data encoding {}", file[EI_DATA]);

  ElfFile elf;
  elf.file_ = file;
  elf.type_ = *reader.U16(offsetof(Elf64_Ehdr, e_type));
  if (elf.type_ != ET_EXEC && elf.type_ != ET_DYN) {
    return Unsupported("ELF type {} is not an executable", elf.type_);
  }
  uint16_t machine = *reader.U16(offsetof(Elf64_Ehdr, e_machine));
  if (machine == kMachineX86_64) {
    elf.machine_ = Machine::kX86_64;
  } else if (machine == kMachineAarch64) {
    elf.machine_ = Machine::kAarch64;
  } else {
    return Unsupported("ELF machine {} is not supported (only x86-64 and arm64)", machine);
  }
  elf.entry_ = *reader.U64(offsetof(Elf64_Ehdr, e_entry));
  RETURN_IF_ERROR(elf.ParseSegments(reader, *reader.U64(offsetof(Elf64_Ehdr, e_phoff)),
                                    *reader.U16(offsetof(Elf64_Ehdr, e_phnum)),
                                    *reader.U16(offsetof(Elf64_Ehdr, e_phentsize))));
  RETURN_IF_ERROR(elf.ParseSections(reader, *reader.U64(offsetof(Elf64_Ehdr, e_shoff)),
                                    *reader.U16(offsetof(Elf64_Ehdr, e_shnum)),
                                    *reader.U16(offsetof(Elf64_Ehdr, e_shentsize)),
                                    *reader.U16(offsetof(Elf64_Ehdr, e_shstrndx))));
  RETURN_IF_ERROR(elf.ParseSymbols(reader));
  if (elf.is_position_independent()) RETURN_IF_ERROR(elf.ParseRelativeRelocations());
  return elf;
}

Status ElfFile::ParseSegments(const ByteReader& reader, uint64_t phoff, uint16_t phnum,
                              uint16_t phentsize) {
  if (phnum == 0) return Malformed("no program headers");
  if (phentsize < sizeof(Elf64_Phdr)) return Malformed("bad program header size {}", phentsize);
  if (!reader.Contains(phoff, uint64_t{phnum} * phentsize)) {
    return Malformed("truncated program headers");
  }
  segments_.reserve(phnum);
  for (uint32_t i = 0; i < phnum; ++i) {
    uint64_t at = phoff + uint64_t{i} * phentsize;
    Segment s;
    s.type = *reader.U32(at + offsetof(Elf64_Phdr, p_type));
    s.flags = *reader.U32(at + offsetof(Elf64_Phdr, p_flags));
    s.offset = *reader.U64(at + offsetof(Elf64_Phdr, p_offset));
    s.vaddr = *reader.U64(at + offsetof(Elf64_Phdr, p_vaddr));
    s.file_size = *reader.U64(at + offsetof(Elf64_Phdr, p_filesz));
    s.mem_size = *reader.U64(at + offsetof(Elf64_Phdr, p_memsz));
    s.align = *reader.U64(at + offsetof(Elf64_Phdr, p_align));
    if (s.type == PT_LOAD && !reader.Contains(s.offset, s.file_size)) {
      return Malformed("PT_LOAD segment {} extends past the end of the file (truncated?)", i);
    }
    segments_.push_back(s);
  }
  return Status::Ok();
}

Status ElfFile::ParseSections(const ByteReader& reader, uint64_t shoff, uint16_t shnum,
                              uint16_t shentsize, uint16_t shstrndx) {
  if (shnum == 0 || shoff == 0) return Status::Ok();  // section headers are optional
  if (shentsize < sizeof(Elf64_Shdr)) return Malformed("bad section header size {}", shentsize);
  if (!reader.Contains(shoff, uint64_t{shnum} * shentsize)) {
    return Malformed("truncated section headers");
  }
  sections_.reserve(shnum);
  std::vector<uint32_t> name_offsets;
  name_offsets.reserve(shnum);
  for (uint32_t i = 0; i < shnum; ++i) {
    uint64_t at = shoff + uint64_t{i} * shentsize;
    Section s;
    s.type = *reader.U32(at + offsetof(Elf64_Shdr, sh_type));
    s.flags = *reader.U64(at + offsetof(Elf64_Shdr, sh_flags));
    s.vaddr = *reader.U64(at + offsetof(Elf64_Shdr, sh_addr));
    s.offset = *reader.U64(at + offsetof(Elf64_Shdr, sh_offset));
    s.size = *reader.U64(at + offsetof(Elf64_Shdr, sh_size));
    s.link = *reader.U32(at + offsetof(Elf64_Shdr, sh_link));
    s.entry_size = *reader.U64(at + offsetof(Elf64_Shdr, sh_entsize));
    name_offsets.push_back(*reader.U32(at + offsetof(Elf64_Shdr, sh_name)));
    sections_.push_back(std::move(s));
  }
  if (shstrndx >= sections_.size()) return Malformed("bad section name table index");
  std::optional<Bytes> names = SectionData(sections_[shstrndx]);
  if (!names) return Malformed("section name table out of range");
  ByteReader names_reader(*names);
  for (size_t i = 0; i < sections_.size(); ++i) {
    auto name = names_reader.CString(name_offsets[i], 4096);
    if (!name) return Malformed("bad section name offset");
    sections_[i].name = std::string(*name);
    const Section& s = sections_[i];
    if (s.type != SHT_NOBITS && s.type != SHT_NULL && !reader.Contains(s.offset, s.size)) {
      return Malformed("section {} extends past the end of the file (truncated?)", s.name);
    }
  }
  return Status::Ok();
}

Status ElfFile::ParseSymbols(const ByteReader& reader) {
  const Section* symtab = FindSection(".symtab");
  if (symtab == nullptr || symtab->type != SHT_SYMTAB) return Status::Ok();
  std::optional<Bytes> table = SectionData(*symtab);
  if (!table) return Malformed(".symtab out of range");
  if (symtab->link >= sections_.size()) return Malformed(".symtab has a bad string table link");
  std::optional<Bytes> strings = SectionData(sections_[symtab->link]);
  if (!strings) return Malformed(".strtab out of range");
  ByteReader table_reader(*table);
  ByteReader string_reader(*strings);
  uint64_t count = table->size() / sizeof(Elf64_Sym);
  symbols_.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t at = i * sizeof(Elf64_Sym);
    Symbol sym;
    auto name = string_reader.CString(*table_reader.U32(at + offsetof(Elf64_Sym, st_name)));
    if (!name) return Malformed("symbol {} has a bad name offset", i);
    sym.name = *name;
    uint8_t info = *table_reader.U8(at + offsetof(Elf64_Sym, st_info));
    sym.type = ELF64_ST_TYPE(info);
    sym.bind = ELF64_ST_BIND(info);
    sym.section_index = *table_reader.U16(at + offsetof(Elf64_Sym, st_shndx));
    sym.value = *table_reader.U64(at + offsetof(Elf64_Sym, st_value));
    sym.size = *table_reader.U64(at + offsetof(Elf64_Sym, st_size));
    symbols_.push_back(sym);
  }
  has_symtab_ = true;
  return Status::Ok();
}

Status ElfFile::ParseRelativeRelocations() {
  const uint32_t relative = machine_ == Machine::kX86_64 ? R_X86_64_RELATIVE : R_AARCH64_RELATIVE;
  // Hostile headers can list the same bytes in many (overlapping) tables: stop once more bytes
  // were read than the file holds, so the work stays linear in the file's size.
  std::set<std::pair<uint64_t, uint64_t>> seen;
  uint64_t budget = file_.size();
  for (const Section& s : sections_) {
    if (s.type != SHT_RELA || !seen.emplace(s.offset, s.size).second) continue;
    if (s.size > budget) break;
    budget -= s.size;
    std::optional<Bytes> table = SectionData(s);
    if (!table) return Malformed("relocation section {} out of range", s.name);
    ByteReader r(*table);
    for (uint64_t at = 0; at + sizeof(Elf64_Rela) <= table->size(); at += sizeof(Elf64_Rela)) {
      uint64_t info = *r.U64(at + offsetof(Elf64_Rela, r_info));
      if (ELF64_R_TYPE(info) != relative) continue;
      relative_relocations_[*r.U64(at + offsetof(Elf64_Rela, r_offset))] =
          *r.U64(at + offsetof(Elf64_Rela, r_addend));
    }
  }
  return Status::Ok();
}

std::optional<uint64_t> ElfFile::RelativeRelocationAddend(uint64_t vaddr) const {
  auto it = relative_relocations_.find(vaddr);
  if (it == relative_relocations_.end()) return std::nullopt;
  return it->second;
}

const Section* ElfFile::FindSection(std::string_view name) const {
  for (const Section& s : sections_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const Symbol* ElfFile::FindSymbol(std::string_view name) const {
  for (const Symbol& s : symbols_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::optional<Bytes> ElfFile::SectionData(const Section& section) const {
  if (section.type == SHT_NOBITS) return std::nullopt;
  return ByteReader(file_).Sub(section.offset, section.size);
}

const Segment* ElfFile::SegmentForVaddr(uint64_t vaddr) const {
  for (const Segment& s : segments_) {
    if (s.type == PT_LOAD && vaddr >= s.vaddr && vaddr - s.vaddr < s.file_size) return &s;
  }
  return nullptr;
}

std::optional<uint64_t> ElfFile::VaddrToFileOffset(uint64_t vaddr) const {
  const Segment* s = SegmentForVaddr(vaddr);
  if (s == nullptr) return std::nullopt;
  return s->offset + (vaddr - s->vaddr);
}

std::optional<Bytes> ElfFile::ReadVaddr(uint64_t vaddr, uint64_t length) const {
  const Segment* s = SegmentForVaddr(vaddr);
  if (s == nullptr || length > s->file_size - (vaddr - s->vaddr)) return std::nullopt;
  return ByteReader(file_).Sub(s->offset + (vaddr - s->vaddr), length);
}

std::optional<Bytes> ElfFile::ReadVaddrToSegmentEnd(uint64_t vaddr) const {
  const Segment* s = SegmentForVaddr(vaddr);
  if (s == nullptr) return std::nullopt;
  return ByteReader(file_).Sub(s->offset + (vaddr - s->vaddr), s->file_size - (vaddr - s->vaddr));
}

}  // namespace gotap::elf
