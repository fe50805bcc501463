#include "seed_maker/go_tables.h"

#include <elf.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <unordered_map>

#include "base/byte_reader.h"

namespace gotap::seeds {
namespace {

struct SectionInfo {
  std::string name;
  uint32_t type = 0;
  uint64_t flags = 0;
  uint64_t vaddr = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint32_t link = 0;
};

std::optional<ByteVector> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return ByteVector(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::optional<std::vector<SectionInfo>> ReadSections(const ByteReader& r) {
  auto shoff = r.U64(offsetof(Elf64_Ehdr, e_shoff));
  auto shnum = r.U16(offsetof(Elf64_Ehdr, e_shnum));
  auto shstrndx = r.U16(offsetof(Elf64_Ehdr, e_shstrndx));
  if (!shoff || !shnum || !shstrndx || *shstrndx >= *shnum) return std::nullopt;
  std::vector<SectionInfo> sections;
  std::vector<uint32_t> name_offsets;
  for (uint64_t i = 0; i < *shnum; ++i) {
    uint64_t at = *shoff + i * sizeof(Elf64_Shdr);
    auto name = r.U32(at + offsetof(Elf64_Shdr, sh_name));
    auto type = r.U32(at + offsetof(Elf64_Shdr, sh_type));
    auto flags = r.U64(at + offsetof(Elf64_Shdr, sh_flags));
    auto vaddr = r.U64(at + offsetof(Elf64_Shdr, sh_addr));
    auto offset = r.U64(at + offsetof(Elf64_Shdr, sh_offset));
    auto size = r.U64(at + offsetof(Elf64_Shdr, sh_size));
    auto link = r.U32(at + offsetof(Elf64_Shdr, sh_link));
    if (!name || !type || !flags || !vaddr || !offset || !size || !link) return std::nullopt;
    sections.push_back({"", *type, *flags, *vaddr, *offset, *size, *link});
    name_offsets.push_back(*name);
  }
  const SectionInfo& names = sections[*shstrndx];
  for (size_t i = 0; i < sections.size(); ++i) {
    auto name = r.CString(names.offset + name_offsets[i], 256);
    if (!name) return std::nullopt;
    sections[i].name = std::string(*name);
  }
  return sections;
}

const SectionInfo* Find(const std::vector<SectionInfo>& sections, std::string_view name) {
  for (const SectionInfo& s : sections) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// The bytes of one pc-value table starting at `at`, through its terminating zero value delta.
std::optional<ByteVector> CopyPcValueTable(const ByteReader& r, uint64_t at) {
  uint64_t start = at;
  for (bool first = true;; first = false) {
    auto value_delta = r.Uvarint(&at);
    if (!value_delta) return std::nullopt;
    if (*value_delta == 0 && !first) break;
    if (!r.Uvarint(&at)) return std::nullopt;
  }
  auto bytes = r.Sub(start, at - start);
  if (!bytes) return std::nullopt;
  return ByteVector(bytes->begin(), bytes->end());
}

// Go >= 1.18 build info: two uvarint-prefixed strings after the 32-byte header.
bool ReadBuildInfo(const ByteReader& r, const SectionInfo& section, SeedSource* out) {
  auto flags = r.U8(section.offset + 15);
  if (!flags || !(*flags & 0x2)) return false;
  uint64_t at = section.offset + 32;
  for (std::string* text : {&out->go_version, &out->modinfo}) {
    auto length = r.Uvarint(&at);
    auto bytes = length ? r.Sub(at, *length) : std::nullopt;
    if (!bytes) return false;
    text->assign(bytes->begin(), bytes->end());
    at += *length;
  }
  return true;
}

// Entry vaddr -> .symtab name, for functions whose symbol spells out type arguments.
std::unordered_map<uint64_t, std::string> GenericSymbolNames(
    const ByteReader& r, const std::vector<SectionInfo>& sections) {
  std::unordered_map<uint64_t, std::string> names;
  const SectionInfo* symtab = Find(sections, ".symtab");
  if (symtab == nullptr || symtab->link >= sections.size()) return names;
  const SectionInfo& strtab = sections[symtab->link];
  for (uint64_t at = 0; at + sizeof(Elf64_Sym) <= symtab->size; at += sizeof(Elf64_Sym)) {
    uint64_t sym = symtab->offset + at;
    auto name_offset = r.U32(sym + offsetof(Elf64_Sym, st_name));
    auto value = r.U64(sym + offsetof(Elf64_Sym, st_value));
    if (!name_offset || !value) break;
    auto name = r.CString(strtab.offset + *name_offset, 4096);
    if (name && name->find('[') != std::string_view::npos) names.emplace(*value, *name);
  }
  return names;
}

// File offset of [vaddr, vaddr + length) inside one allocated section with file bytes.
std::optional<uint64_t> VaddrToOffset(const std::vector<SectionInfo>& sections, uint64_t vaddr,
                                      uint64_t length) {
  for (const SectionInfo& s : sections) {
    if (!(s.flags & SHF_ALLOC) || s.type == SHT_NOBITS || vaddr < s.vaddr) continue;
    if (vaddr - s.vaddr <= s.size && length <= s.size - (vaddr - s.vaddr)) {
      return s.offset + (vaddr - s.vaddr);
    }
  }
  return std::nullopt;
}

// moduledata.gofunc, the base of funcdata offsets: moduledata is the .noptrdata word that holds
// the pclntab's address (go-internals.md §3.5).
std::optional<uint64_t> FindGofunc(const ByteReader& r, const std::vector<SectionInfo>& sections,
                                   uint64_t pclntab_vaddr, bool go120) {
  const SectionInfo* data = Find(sections, ".noptrdata");
  if (data == nullptr) return std::nullopt;
  for (uint64_t at = 0; at + 8 <= data->size; at += 8) {
    if (r.U64(data->offset + at) != pclntab_vaddr) continue;
    return r.U64(data->offset + at + (go120 ? 296 : 280) + 24);
  }
  return std::nullopt;
}

// The largest value of a pc-value table (the highest inline-tree index it uses); -1 if none.
int32_t MaxPcValue(const ByteVector& table) {
  ByteReader r(Bytes(table.data(), table.size()));
  uint64_t at = 0;
  int64_t value = -1, max = -1;
  for (bool first = true;; first = false) {
    auto delta = r.Uvarint(&at);
    if (!delta || (*delta == 0 && !first) || !r.Uvarint(&at)) break;
    value += (*delta & 1) ? ~static_cast<int64_t>(*delta >> 1) : static_cast<int64_t>(*delta >> 1);
    max = std::max(max, value);
  }
  return static_cast<int32_t>(std::min<int64_t>(max, 4096));
}

std::vector<InlineEntry> ReadInlineTree(const ByteReader& r, const ByteReader& t,
                                        const std::vector<SectionInfo>& sections,
                                        uint64_t funcnames, uint64_t gofunc, bool go120,
                                        const SeedFunction& f) {
  if (f.funcdata.size() <= kFuncdataInlTree || f.funcdata[kFuncdataInlTree] == UINT32_MAX ||
      f.pcdata.size() <= 2) {
    return {};
  }
  const int32_t max_index = MaxPcValue(f.pcdata[2]);
  const uint64_t entry_size = go120 ? 16 : 20;
  const uint64_t count = static_cast<uint64_t>(max_index + 1);
  auto at = VaddrToOffset(sections, gofunc + f.funcdata[kFuncdataInlTree], count * entry_size);
  if (!at) return {};
  std::vector<InlineEntry> tree;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t e = *at + i * entry_size;
    InlineEntry entry;
    uint32_t name_offset = 0;
    if (go120) {
      entry.func_id = r.U8(e).value_or(0);
      name_offset = r.U32(e + 4).value_or(0);
      entry.parent_pc = static_cast<int32_t>(r.U32(e + 8).value_or(0));
      entry.start_line = static_cast<int32_t>(r.U32(e + 12).value_or(0));
    } else {
      entry.parent = static_cast<int16_t>(r.U16(e).value_or(0));
      entry.func_id = r.U8(e + 2).value_or(0);
      entry.file = static_cast<int32_t>(r.U32(e + 4).value_or(0));
      entry.line = static_cast<int32_t>(r.U32(e + 8).value_or(0));
      name_offset = r.U32(e + 12).value_or(0);
      entry.parent_pc = static_cast<int32_t>(r.U32(e + 16).value_or(0));
    }
    auto name = t.CString(funcnames + name_offset, 4096);
    if (!name) return {};
    entry.name = std::string(*name);
    tree.push_back(std::move(entry));
  }
  return tree;
}

}  // namespace

std::optional<SeedSource> ReadSeedSource(const std::string& path, const WindowSpec& window) {
  auto fail = [&](const char* why) -> std::optional<SeedSource> {
    std::fprintf(stderr, "seed_maker: %s: %s\n", path.c_str(), why);
    return std::nullopt;
  };
  std::optional<ByteVector> file = ReadWholeFile(path);
  if (!file) return fail("cannot read");
  ByteReader r(*file);
  if (file->size() < sizeof(Elf64_Ehdr) || (*file)[EI_CLASS] != ELFCLASS64) {
    return fail("not a 64-bit ELF file");
  }
  auto sections = ReadSections(r);
  if (!sections) return fail("bad section headers");
  const SectionInfo* pcln_section = Find(*sections, ".gopclntab");
  const SectionInfo* buildinfo = Find(*sections, ".go.buildinfo");
  if (pcln_section == nullptr || buildinfo == nullptr) return fail("no .gopclntab or build info");

  SeedSource src;
  src.label = path.substr(path.find_last_of('/') + 1);
  src.machine = r.U16(offsetof(Elf64_Ehdr, e_machine)).value_or(0);
  if (!ReadBuildInfo(r, *buildinfo, &src)) return fail("build info is not in the Go 1.18 format");

  auto tab = r.Sub(pcln_section->offset, pcln_section->size);
  if (!tab || tab->size() < 72) return fail("truncated .gopclntab");
  ByteReader t(*tab);
  uint32_t magic = *t.U32(0);
  if (magic != 0xfffffff0 && magic != 0xfffffff1) return fail("pclntab older than Go 1.18");
  src.go120 = magic == 0xfffffff1;
  src.quantum = (*tab)[6];
  uint64_t nfunc = *t.U64(8);
  src.text_start = *t.U64(24);
  uint64_t funcnames = *t.U64(32), pctab = *t.U64(56), pcln = *t.U64(64);
  if (src.text_start == 0) return fail("pclntab without textStart (PIE or Go >= 1.26)");

  auto functab_entry = [&](uint64_t i) { return t.U32(pcln + 8 * i); };
  auto functab_record = [&](uint64_t i) { return t.U32(pcln + 8 * i + 4); };
  auto name_of = [&](uint64_t i) -> std::optional<std::string_view> {
    auto record = functab_record(i);
    auto name_offset = record ? t.U32(pcln + *record + 4) : std::nullopt;
    return name_offset ? t.CString(funcnames + *name_offset, 4096) : std::nullopt;
  };
  // Indices of the functions to take, ascending; `code_index` is the function whose code starts
  // the copied code (in `only` mode, the only one with code).
  std::vector<uint64_t> picked;
  for (uint64_t i = 0; i < nfunc; ++i) {
    auto name = name_of(i);
    if (!name) return fail("bad function name");
    if (window.only.empty()) {
      if (window.starts(*name)) {
        for (uint64_t k = i; k < nfunc && picked.size() < window.count; ++k) picked.push_back(k);
        break;
      }
    } else if (std::find(window.only.begin(), window.only.end(), *name) != window.only.end()) {
      picked.push_back(i);
      // Its successor too, so that the first named function keeps its exact end.
      if (*name == window.only.front() && i + 1 < nfunc) picked.push_back(++i);
    }
  }
  if (picked.empty()) return fail("no function matches the window");

  const uint32_t fixed = src.go120 ? 44 : 40;
  const uint32_t func_id_at = src.go120 ? 40 : 36;
  auto generic_names = GenericSymbolNames(r, *sections);
  const std::optional<uint64_t> gofunc = FindGofunc(r, *sections, pcln_section->vaddr, src.go120);
  uint64_t code_begin = 0, code_end = 0;
  for (uint64_t i : picked) {
    auto entry_off = functab_entry(i), end_off = functab_entry(i + 1), rec_off = functab_record(i);
    if (!entry_off || !end_off || !rec_off) return fail("truncated function table");
    uint64_t rec = pcln + *rec_off;
    SeedFunction f;
    f.entry = src.text_start + *entry_off;
    f.end = src.text_start + *end_off;
    if (window.only.empty() && !src.functions.empty() &&
        f.end - src.functions.front().entry > window.max_code) {
      break;
    }
    if (src.functions.empty()) code_begin = f.entry;
    if (window.only.empty() || src.functions.empty()) code_end = f.end;
    auto name = t.CString(funcnames + t.U32(rec + 4).value_or(UINT32_MAX), 4096);
    auto npcdata = t.U32(rec + 28);
    auto nfuncdata = t.U8(rec + func_id_at + 3);
    if (!name || !npcdata || !nfuncdata || *npcdata > 64) return fail("bad _func record");
    f.name = f.symtab_name = std::string(*name);
    if (auto it = generic_names.find(f.entry); it != generic_names.end())
      f.symtab_name = it->second;
    f.args = static_cast<int32_t>(t.U32(rec + 8).value_or(0));
    f.deferreturn = t.U32(rec + 12).value_or(0);
    if (src.go120) f.start_line = static_cast<int32_t>(t.U32(rec + 36).value_or(0));
    f.func_id = t.U8(rec + func_id_at).value_or(0);
    f.flag = t.U8(rec + func_id_at + 1).value_or(0);
    // pcsp, pcfile, pcln, then each pcdata table; offset 0 means "absent".
    auto copy_table = [&](uint64_t offset_at, ByteVector* out) {
      auto offset = t.U32(offset_at);
      if (!offset) return false;
      if (*offset == 0) return true;
      auto table = CopyPcValueTable(t, pctab + *offset);
      if (table) *out = std::move(*table);
      return table.has_value();
    };
    bool ok = copy_table(rec + 16, &f.pcsp) && copy_table(rec + 20, &f.pcfile) &&
              copy_table(rec + 24, &f.pcln);
    f.pcdata.resize(*npcdata);
    for (uint64_t k = 0; ok && k < *npcdata; ++k) {
      ok = copy_table(rec + fixed + 4 * k, &f.pcdata[k]);
    }
    for (uint64_t k = 0; ok && k < *nfuncdata; ++k) {
      auto v = t.U32(rec + fixed + 4 * (*npcdata + k));
      ok = v.has_value();
      if (ok) f.funcdata.push_back(*v);
    }
    if (!ok) return fail("bad pc-value or funcdata table");
    if (gofunc) f.inline_tree = ReadInlineTree(r, t, *sections, funcnames, *gofunc, src.go120, f);
    src.functions.push_back(std::move(f));
  }

  if (!window.only.empty()) {  // only the first named function has code
    for (const SeedFunction& f : src.functions) {
      if (f.name == window.only.front()) code_begin = f.entry, code_end = f.end;
    }
  }
  src.code_vaddr = code_begin;
  for (const SectionInfo& s : *sections) {
    if (!(s.flags & SHF_EXECINSTR) || code_begin < s.vaddr || code_end > s.vaddr + s.size) continue;
    auto code = r.Sub(s.offset + (code_begin - s.vaddr), code_end - code_begin);
    if (code) src.code.assign(code->begin(), code->end());
  }
  if (src.code.size() != code_end - code_begin) return fail("function code is not in one section");
  return src;
}

std::optional<ByteVector> ReadSectionBytes(const std::string& path,
                                           const std::vector<std::string_view>& names) {
  std::optional<ByteVector> file = ReadWholeFile(path);
  if (!file || file->size() < sizeof(Elf64_Ehdr) || (*file)[EI_CLASS] != ELFCLASS64) {
    return std::nullopt;
  }
  ByteReader r(*file);
  auto sections = ReadSections(r);
  if (!sections) return std::nullopt;
  for (std::string_view name : names) {
    const SectionInfo* s = Find(*sections, name);
    if (s == nullptr) continue;
    auto bytes = r.Sub(s->offset, s->size);
    if (bytes) return ByteVector(bytes->begin(), bytes->end());
  }
  return std::nullopt;
}

std::optional<SectionContents> ReadSection(const std::string& path, std::string_view name) {
  std::optional<ByteVector> file = ReadWholeFile(path);
  if (!file || file->size() < sizeof(Elf64_Ehdr) || (*file)[EI_CLASS] != ELFCLASS64) {
    return std::nullopt;
  }
  ByteReader r(*file);
  auto sections = ReadSections(r);
  auto machine = r.U16(offsetof(Elf64_Ehdr, e_machine));
  if (!sections || !machine) return std::nullopt;
  const SectionInfo* s = Find(*sections, name);
  if (s == nullptr) return std::nullopt;
  SectionContents out{s->vaddr, s->size, *machine, {}};
  if (s->type != SHT_NOBITS) {
    auto bytes = r.Sub(s->offset, s->size);
    if (!bytes) return std::nullopt;
    out.bytes.assign(bytes->begin(), bytes->end());
  }
  return out;
}

}  // namespace gotap::seeds
