#include "seed_maker/elf_writer.h"

#include <elf.h>

#include <cstring>
#include <string_view>

namespace gotap::seeds {
namespace {

constexpr uint64_t kModuledataSize = 560;  // Go 1.18-1.19 size; later fields are never read
constexpr std::string_view kBuildInfoMagic = "\xff Go buildinf:";

uint64_t AlignUp(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}
void Put(ByteVector* out, uint64_t value, int size) {
  for (int i = 0; i < size; ++i) out->push_back(static_cast<uint8_t>(value >> (8 * i)));
}
void PutAt(ByteVector* out, uint64_t at, uint64_t value, int size) {
  for (int i = 0; i < size; ++i) (*out)[at + i] = static_cast<uint8_t>(value >> (8 * i));
}
void PutBytes(ByteVector* out, std::string_view bytes) {
  out->insert(out->end(), bytes.begin(), bytes.end());
}
void PutUvarint(ByteVector* out, uint64_t value) {
  for (; value >= 0x80; value >>= 7) out->push_back(static_cast<uint8_t>(value | 0x80));
  out->push_back(static_cast<uint8_t>(value));
}
template <typename T>
void PutStruct(ByteVector* out, const T& value) {
  const auto* p = reinterpret_cast<const uint8_t*>(&value);
  out->insert(out->end(), p, p + sizeof(T));
}

int GoMinor(std::string_view version) {
  if (!version.starts_with("go1.")) return 0;
  int minor = 0;
  for (size_t i = 4; i < version.size() && version[i] >= '0' && version[i] <= '9'; ++i) {
    minor = minor * 10 + (version[i] - '0');
  }
  return minor;
}

struct SectionSpec {
  std::string name;
  uint32_t type = SHT_PROGBITS;
  uint64_t flags = 0;
  uint64_t vaddr = 0;
  ByteVector data;
  uint32_t link = 0;
  uint64_t entry_size = 0;
  uint64_t offset = 0;  // set when the file is laid out
};

// .go.buildinfo: the inline format of Go >= 1.18, or for older table formats the pointer format
// (two pointers to Go string headers, all inside the same blob at link-time `vaddr`).
ByteVector BuildInfoBlob(const std::string& version, const std::string& modinfo, bool inline_format,
                         uint64_t vaddr) {
  ByteVector blob;
  PutBytes(&blob, kBuildInfoMagic);
  Put(&blob, 8, 1);
  Put(&blob, inline_format ? 0x2 : 0x0, 1);
  if (inline_format) {
    blob.resize(32);
    PutUvarint(&blob, version.size());
    PutBytes(&blob, version);
    PutUvarint(&blob, modinfo.size());
    PutBytes(&blob, modinfo);
  } else {
    Put(&blob, vaddr + 32, 8);  // -> {version ptr, len}
    Put(&blob, vaddr + 48, 8);  // -> {modinfo ptr, len}
    Put(&blob, vaddr + 64, 8);
    Put(&blob, version.size(), 8);
    Put(&blob, vaddr + 64 + version.size(), 8);
    Put(&blob, modinfo.size(), 8);
    PutBytes(&blob, version);
    PutBytes(&blob, modinfo);
  }
  blob.resize(AlignUp(blob.size(), 16));
  return blob;
}

}  // namespace

ByteVector WriteElf(const SeedSource& source, const ElfOptions& options) {
  const bool go118 = options.format == TableFormat::kGo118 || options.format == TableFormat::kGo120;
  std::string version = source.go_version;
  if (options.format == TableFormat::kGo12) version = "go1.15.15";
  if (options.format == TableFormat::kGo116) version = "go1.16.15";
  const uint64_t code_vaddr = source.code_vaddr;
  // Above every function (in `only` windows, functions without code lie past code_vaddr).
  const uint64_t table_vaddr = AlignUp(source.functions.back().end, 0x10000);
  // Relocations of a PIE: (link-time vaddr of a word that is 0 in the file, its value).
  std::vector<std::pair<uint64_t, uint64_t>> relocs;

  TableOptions table_options;
  table_options.format = options.format;
  table_options.table_vaddr = table_vaddr;
  table_options.header_text_start = source.text_start;
  if (options.pie || options.go_module_section) table_options.header_text_start = 0;
  if (options.pie) relocs.emplace_back(table_vaddr + kTextStartOffset, source.text_start);
  // The inline trees (gofunc) follow the table in the same segment; the table's size does not
  // depend on where they go, so a first pass finds their address.
  const uint64_t gofunc_vaddr =
      table_vaddr + AlignUp(WritePclntab(source, table_options).size(), 16);
  table_options.gofunc = gofunc_vaddr;
  ByteVector gofunc;
  ByteVector table = WritePclntab(source, table_options, &gofunc);

  const uint64_t data_vaddr = AlignUp(gofunc_vaddr + gofunc.size(), 0x10000);
  ByteVector buildinfo = BuildInfoBlob(version, source.modinfo, go118, data_vaddr);
  const uint64_t moduledata_vaddr = data_vaddr + AlignUp(buildinfo.size(), 32);
  ByteVector moduledata(kModuledataSize, 0);
  auto md_word = [&](uint64_t at, uint64_t value) {
    if (options.pie) {
      relocs.emplace_back(moduledata_vaddr + at, value);
    } else {
      PutAt(&moduledata, at, value, 8);
    }
  };
  md_word(0, table_vaddr);
  md_word(176, source.text_start);
  if (go118) {
    const uint64_t types_at =
        options.format == TableFormat::kGo120 || GoMinor(version) >= 20 ? 296 : 280;
    md_word(types_at, data_vaddr);
    md_word(types_at + 8, moduledata_vaddr + kModuledataSize);
    md_word(types_at + 24, gofunc_vaddr);
  }

  std::vector<SectionSpec> sections(1);  // [0] is the null section
  sections.push_back({".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, code_vaddr, source.code});
  const size_t text_index = 1;
  sections.push_back(
      {options.symtab ? ".rodata" : ".gopclntab", SHT_PROGBITS, SHF_ALLOC, table_vaddr, table});
  sections.push_back({".rodata.gofunc", SHT_PROGBITS, SHF_ALLOC, gofunc_vaddr, gofunc});
  sections.push_back({".go.buildinfo", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, data_vaddr, buildinfo});
  sections.back().data.resize(moduledata_vaddr - data_vaddr);
  if (options.format != TableFormat::kGo12) {  // moduledata is not read before Go 1.16
    sections.push_back({options.go_module_section ? ".go.module" : ".noptrdata", SHT_PROGBITS,
                        SHF_ALLOC | SHF_WRITE, moduledata_vaddr, moduledata});
  }
  if (!relocs.empty()) {
    const uint32_t relative = source.machine == EM_AARCH64 ? R_AARCH64_RELATIVE : R_X86_64_RELATIVE;
    ByteVector rela;
    for (auto [where, value] : relocs) {
      PutStruct(&rela, Elf64_Rela{where, ELF64_R_INFO(0, relative), static_cast<int64_t>(value)});
    }
    sections.push_back({".rela.dyn", SHT_RELA, SHF_ALLOC, 0, rela, 0, sizeof(Elf64_Rela)});
  }
  if (options.symtab) {
    ByteVector strtab{0};
    ByteVector symtab(sizeof(Elf64_Sym), 0);
    auto add_symbol = [&](std::string_view name, uint64_t value, uint64_t size, uint8_t type) {
      Elf64_Sym sym{};
      sym.st_name = static_cast<uint32_t>(strtab.size());
      sym.st_info = ELF64_ST_INFO(STB_GLOBAL, type);
      sym.st_shndx = type == STT_FUNC ? text_index : SHN_ABS;
      sym.st_value = value;
      sym.st_size = size;
      PutStruct(&symtab, sym);
      PutBytes(&strtab, name);
      strtab.push_back(0);
    };
    add_symbol("runtime.text", source.text_start, 0, STT_FUNC);
    add_symbol("runtime.pclntab", table_vaddr, table.size(), STT_OBJECT);
    add_symbol("runtime.firstmoduledata", moduledata_vaddr, kModuledataSize, STT_OBJECT);
    for (const SeedFunction& f : source.functions) {
      add_symbol(f.symtab_name, f.entry, f.end - f.entry, STT_FUNC);
    }
    const uint32_t strtab_index = static_cast<uint32_t>(sections.size() + 1);
    sections.push_back({".symtab", SHT_SYMTAB, 0, 0, symtab, strtab_index, sizeof(Elf64_Sym)});
    sections.push_back({".strtab", SHT_STRTAB, 0, 0, strtab});
  }
  ByteVector shstrtab{0};
  std::vector<uint32_t> name_offsets{0};
  sections.push_back({".shstrtab", SHT_STRTAB, 0, 0, {}});
  for (size_t i = 1; i < sections.size(); ++i) {
    name_offsets.push_back(static_cast<uint32_t>(shstrtab.size()));
    PutBytes(&shstrtab, sections[i].name);
    shstrtab.push_back(0);
  }
  sections.back().data = shstrtab;

  // File: ELF header, 3 program headers (text R+X, pclntab R, data R+W), section contents,
  // section headers.
  constexpr int kSegments = 3;
  ByteVector file(sizeof(Elf64_Ehdr) + kSegments * sizeof(Elf64_Phdr), 0);
  for (size_t i = 1; i < sections.size(); ++i) {
    file.resize(AlignUp(file.size(), 16));
    sections[i].offset = file.size();
    file.insert(file.end(), sections[i].data.begin(), sections[i].data.end());
  }
  file.resize(AlignUp(file.size(), 8));
  const uint64_t shoff = file.size();
  for (size_t i = 0; i < sections.size(); ++i) {
    const SectionSpec& s = sections[i];
    Elf64_Shdr sh{};
    sh.sh_name = name_offsets[i];
    sh.sh_type = i == 0 ? SHT_NULL : s.type;
    sh.sh_flags = s.flags;
    sh.sh_addr = s.vaddr;
    sh.sh_offset = s.offset;
    sh.sh_size = s.data.size();
    sh.sh_link = s.link;
    sh.sh_addralign = i == 0 ? 0 : 16;
    sh.sh_entsize = s.entry_size;
    PutStruct(&file, sh);
  }

  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = options.pie ? ET_DYN : ET_EXEC;
  eh.e_machine = source.machine;
  eh.e_version = EV_CURRENT;
  eh.e_entry = code_vaddr;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = kSegments;
  eh.e_shentsize = sizeof(Elf64_Shdr);
  if (options.section_headers) {
    eh.e_shoff = shoff;
    eh.e_shnum = static_cast<uint16_t>(sections.size());
    eh.e_shstrndx = static_cast<uint16_t>(sections.size() - 1);
  } else {
    file.resize(shoff);
  }
  std::memcpy(file.data(), &eh, sizeof(eh));

  // Segments: [.text], [pclntab, .rodata.gofunc], [.go.buildinfo, .noptrdata/.go.module]; the
  // sections of one segment are contiguous in the file and in the address space.
  auto span = [&](size_t first, size_t last) {
    return sections[last].offset + sections[last].data.size() - sections[first].offset;
  };
  const size_t data_last = options.format != TableFormat::kGo12 ? 5 : 4;
  const struct {
    const SectionSpec& first;
    uint64_t file_size;
    uint32_t flags;
  } segments[kSegments] = {{sections[1], span(1, 1), PF_R | PF_X},
                           {sections[2], span(2, 3), PF_R},
                           {sections[4], span(4, data_last), PF_R | PF_W}};
  for (int i = 0; i < kSegments; ++i) {
    Elf64_Phdr ph{};
    ph.p_type = PT_LOAD;
    ph.p_flags = segments[i].flags;
    ph.p_offset = segments[i].first.offset;
    ph.p_vaddr = ph.p_paddr = segments[i].first.vaddr;
    ph.p_filesz = segments[i].file_size;
    ph.p_memsz = segments[i].file_size;
    ph.p_align = 0x1000;
    std::memcpy(file.data() + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr), &ph, sizeof(ph));
  }
  return file;
}

}  // namespace gotap::seeds
