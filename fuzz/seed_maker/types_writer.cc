#include "seed_maker/types_writer.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "base/byte_reader.h"

namespace gotap::seeds {
namespace {

// runtime._type (go-internals.md §6.3), and what follows it in ptrtype and structtype.
constexpr uint64_t kTypeSize = 48, kKindAt = 23, kStrAt = 40;
constexpr uint64_t kElemAt = 48, kFieldsAt = 56, kFieldSize = 24;
constexpr uint8_t kKindMask = 0x1f, kKindPointer = 22, kKindStruct = 25;
constexpr size_t kMaxFields = 12;          // per struct
constexpr uint64_t kMaxBytes = 20 * 1024;  // copied from the binary, over all types

// The bytes of .rodata (= [types, etypes) in a non-PIE Go binary) that the seed copies.
class TypeBytes {
 public:
  TypeBytes(const SectionContents& rodata, bool varint_names)
      : rodata_(rodata), reader_(rodata_.bytes), varint_names_(varint_names) {}

  uint64_t copied() const { return copied_; }
  const std::map<uint64_t, uint64_t>& ranges() const { return ranges_; }
  std::optional<Bytes> Read(uint64_t vaddr, uint64_t length) const {
    if (vaddr < rodata_.vaddr) return std::nullopt;
    return reader_.Sub(vaddr - rodata_.vaddr, length);
  }

  // Copies the descriptor at `vaddr`, its name, its pointee (one level) and its fields.
  // Returns its kind, or nullopt if it does not lie in .rodata.
  std::optional<uint8_t> AddType(uint64_t vaddr, bool follow_elem) {
    auto desc = Read(vaddr, kTypeSize);
    if (!desc) return std::nullopt;
    ByteReader d(*desc);
    uint8_t kind = *d.U8(kKindAt) & kKindMask;
    Add(vaddr, kind == kKindStruct    ? kFieldsAt + 16
               : kind == kKindPointer ? kElemAt + 8
                                      : kTypeSize);
    int32_t str = static_cast<int32_t>(*d.U32(kStrAt));
    AddName(rodata_.vaddr + static_cast<uint64_t>(static_cast<int64_t>(str)));
    if (kind == kKindPointer && follow_elem) {
      if (auto elem = Word(vaddr + kElemAt)) AddType(*elem, false);
    }
    if (kind == kKindStruct) {
      auto data = Word(vaddr + kFieldsAt), len = Word(vaddr + kFieldsAt + 8);
      if (data && len) {
        uint64_t n = std::min<uint64_t>(*len, kMaxFields);
        Add(*data, n * kFieldSize);
        for (uint64_t i = 0; i < n; ++i) {
          if (auto name = Word(*data + i * kFieldSize)) AddName(*name);
        }
      }
    }
    return kind;
  }

 private:
  std::optional<uint64_t> Word(uint64_t vaddr) const {
    auto bytes = Read(vaddr, 8);
    if (!bytes) return std::nullopt;
    return ByteReader(*bytes).U64(0);
  }
  void AddName(uint64_t vaddr) {
    auto head = Read(vaddr, 3);
    if (!head) return;
    uint64_t length = 0, pos = 1;
    if (varint_names_) {
      auto rest = Read(vaddr, 16);
      if (!rest) return;
      auto n = ByteReader(*rest).Uvarint(&pos);
      if (!n) return;
      length = *n;
    } else {
      length = (uint64_t{(*head)[1]} << 8) | (*head)[2];
      pos = 3;
    }
    Add(vaddr, pos + std::min<uint64_t>(length, 256));
  }
  void Add(uint64_t vaddr, uint64_t length) {
    if (!Read(vaddr, length) || length == 0) return;
    ranges_[vaddr] = std::max(ranges_[vaddr], vaddr + length);
    copied_ += length;
  }

  const SectionContents& rodata_;
  ByteReader reader_;
  bool varint_names_;
  std::map<uint64_t, uint64_t> ranges_;  // start vaddr -> end vaddr, may overlap
  uint64_t copied_ = 0;
};

template <typename T>
void PutStruct(ByteVector* out, const T& value) {
  const auto* p = reinterpret_cast<const uint8_t*>(&value);
  out->insert(out->end(), p, p + sizeof(T));
}

// Overlapping or nearby ranges become one.
std::vector<std::pair<uint64_t, uint64_t>> Merge(const std::map<uint64_t, uint64_t>& ranges) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (auto [start, end] : ranges) {
    if (!out.empty() && start <= out.back().second + 16) {
      out.back().second = std::max(out.back().second, end);
    } else {
      out.emplace_back(start, end);
    }
  }
  return out;
}

}  // namespace

std::optional<ByteVector> WriteTypesSeed(const std::string& path, bool varint_names) {
  auto rodata = ReadSection(path, ".rodata");
  auto typelink = ReadSection(path, ".typelink");
  if (!rodata || !typelink || rodata->bytes.empty() || typelink->bytes.empty()) return std::nullopt;

  // A few types of each kind that matters: structs (fields), pointers (the *T -> T hop of
  // FindTypes) and the rest.
  TypeBytes bytes(*rodata, varint_names);
  ByteReader links(typelink->bytes);
  ByteVector kept_links;
  size_t structs = 0, pointers = 0, others = 0;
  for (uint64_t at = 0; at + 4 <= links.size() && bytes.copied() < kMaxBytes; at += 4) {
    int32_t off = static_cast<int32_t>(*links.U32(at));
    uint64_t vaddr = rodata->vaddr + static_cast<uint64_t>(static_cast<int64_t>(off));
    auto desc = bytes.Read(vaddr, kTypeSize);
    if (!desc) continue;
    uint8_t kind = (*desc)[kKindAt] & kKindMask;
    size_t& count = kind == kKindStruct ? structs : kind == kKindPointer ? pointers : others;
    if (count >= 16) continue;
    ++count;
    bytes.AddType(vaddr, true);
    for (int i = 0; i < 4; ++i) kept_links.push_back(static_cast<uint8_t>(off >> (8 * i)));
  }
  const auto segments = Merge(bytes.ranges());
  if (segments.empty()) return std::nullopt;

  // Layout: ELF header, program headers, segment bytes, .typelink, .shstrtab, section headers.
  const std::string_view shstrtab("\0.rodata\0.typelink\0.shstrtab\0", 29);
  ByteVector file(sizeof(Elf64_Ehdr) + segments.size() * sizeof(Elf64_Phdr), 0);
  std::vector<Elf64_Phdr> phdrs;
  for (auto [start, end] : segments) {
    file.resize((file.size() + 7) / 8 * 8);
    Elf64_Phdr ph{};
    ph.p_type = PT_LOAD;
    ph.p_flags = PF_R;
    ph.p_offset = file.size();
    ph.p_vaddr = ph.p_paddr = start;
    ph.p_filesz = ph.p_memsz = end - start;
    ph.p_align = 8;
    phdrs.push_back(ph);
    Bytes b = *bytes.Read(start, end - start);
    file.insert(file.end(), b.begin(), b.end());
  }
  const uint64_t typelink_at = file.size();
  file.insert(file.end(), kept_links.begin(), kept_links.end());
  const uint64_t shstrtab_at = file.size();
  file.insert(file.end(), shstrtab.begin(), shstrtab.end());
  file.resize((file.size() + 7) / 8 * 8);
  const uint64_t shoff = file.size();
  auto section = [&](uint32_t name, uint32_t type, uint64_t flags, uint64_t addr, uint64_t offset,
                     uint64_t size) {
    Elf64_Shdr sh{};
    sh.sh_name = name;
    sh.sh_type = type;
    sh.sh_flags = flags;
    sh.sh_addr = addr;
    sh.sh_offset = offset;
    sh.sh_size = size;
    sh.sh_addralign = type == SHT_NULL ? 0 : 8;
    PutStruct(&file, sh);
  };
  section(0, SHT_NULL, 0, 0, 0, 0);
  section(1, SHT_NOBITS, SHF_ALLOC, rodata->vaddr, 0, rodata->size);
  section(9, SHT_PROGBITS, SHF_ALLOC, 0, typelink_at, kept_links.size());
  section(19, SHT_STRTAB, 0, 0, shstrtab_at, shstrtab.size());
  file.push_back(varint_names ? 0 : 1);  // rtype_fuzzer: the last byte picks the name encoding

  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = rodata->machine;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_shoff = shoff;
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = static_cast<uint16_t>(phdrs.size());
  eh.e_shentsize = sizeof(Elf64_Shdr);
  eh.e_shnum = 4;
  eh.e_shstrndx = 3;
  std::memcpy(file.data(), &eh, sizeof(eh));
  std::memcpy(file.data() + sizeof(eh), phdrs.data(), phdrs.size() * sizeof(Elf64_Phdr));
  return file;
}

}  // namespace gotap::seeds
