#include "gobin/buildinfo.h"

#include <elf.h>

#include <charconv>
#include <cstring>

namespace gotap::gobin {
namespace {

constexpr std::string_view kMagic = "\xff Go buildinf:";
constexpr uint64_t kHeaderSize = 32;
constexpr uint64_t kScanLimit = 64 * 1024;
constexpr uint8_t kFlagBigEndian = 0x1;
constexpr uint8_t kFlagInline = 0x2;
constexpr uint64_t kMaxStringLength = 16 << 20;

// Finds the 32-byte-header blob: the `.go.buildinfo` section, else (no section headers) the
// first 16-aligned match in the first 64 KiB of the first writable, non-executable PT_LOAD.
std::optional<Bytes> FindBlob(const elf::ElfFile& elf) {
  if (const elf::Section* s = elf.FindSection(".go.buildinfo")) {
    if (auto data = elf.SectionData(*s)) return data;
  }
  for (const elf::Segment& seg : elf.segments()) {
    if (seg.type != PT_LOAD || !(seg.flags & PF_W) || (seg.flags & PF_X)) continue;
    auto data = ByteReader(elf.bytes()).Sub(seg.offset, std::min(seg.file_size, kScanLimit));
    if (!data) return std::nullopt;
    for (uint64_t at = 0; at + kHeaderSize <= data->size(); at += 16) {
      if (std::memcmp(data->data() + at, kMagic.data(), kMagic.size()) == 0) {
        return data->subspan(at);
      }
    }
    return std::nullopt;
  }
  return std::nullopt;
}

// Reads a uvarint-length-prefixed string at *offset (inline format), advancing *offset.
std::optional<std::string_view> ReadInlineString(const ByteReader& reader, uint64_t* offset) {
  auto length = reader.Uvarint(offset);
  if (!length || *length > kMaxStringLength) return std::nullopt;
  auto bytes = reader.Sub(*offset, *length);
  if (!bytes) return std::nullopt;
  *offset += *length;
  return std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

// Reads a Go string header {ptr, len} stored at link-time address `header_vaddr`.
std::optional<std::string_view> ReadStringHeader(const elf::ElfFile& elf, uint64_t header_vaddr,
                                                 int ptr_size, bool big_endian) {
  auto header = elf.ReadVaddr(header_vaddr, 2 * ptr_size);
  if (!header) return std::nullopt;
  ByteReader reader(*header, !big_endian);
  auto data = reader.Word(0, ptr_size);
  auto length = reader.Word(ptr_size, ptr_size);
  if (!data || !length || *length > kMaxStringLength) return std::nullopt;
  if (*length == 0) return std::string_view();
  auto bytes = elf.ReadVaddr(*data, *length);
  if (!bytes) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return fields;
}

Module ModuleFromFields(const std::vector<std::string_view>& f) {
  Module m;
  if (f.size() > 1) m.path = f[1];
  if (f.size() > 2) m.version = f[2];
  if (f.size() > 3) m.sum = f[3];
  return m;
}

}  // namespace

std::pair<int, int> ParseGoVersion(std::string_view version) {
  if (version.substr(0, 2) != "go") return {0, 0};
  const char* p = version.data() + 2;
  const char* end = version.data() + version.size();
  int major = 0;
  int minor = 0;
  auto r = std::from_chars(p, end, major);
  if (r.ec != std::errc() || r.ptr == end || *r.ptr != '.') return {0, 0};
  r = std::from_chars(r.ptr + 1, end, minor);
  if (r.ec != std::errc()) return {0, 0};
  return {major, minor};
}

std::pair<int, int> BuildInfo::MajorMinor() const { return ParseGoVersion(go_version); }

void ParseModinfo(std::string_view modinfo, BuildInfo* info) {
  // Strip the 16-byte sentinels the go command wraps around the text.
  if (modinfo.size() >= 33 && modinfo[modinfo.size() - 17] == '\n') {
    modinfo = modinfo.substr(16, modinfo.size() - 32);
  }
  while (!modinfo.empty()) {
    size_t nl = modinfo.find('\n');
    std::string_view line = modinfo.substr(0, nl);
    modinfo = nl == std::string_view::npos ? std::string_view() : modinfo.substr(nl + 1);
    std::vector<std::string_view> f = SplitTabs(line);
    if (f[0] == "path" && f.size() > 1) {
      info->main_path = f[1];
    } else if (f[0] == "mod") {
      info->main_module = ModuleFromFields(f);
    } else if (f[0] == "dep") {
      info->dependencies.push_back(ModuleFromFields(f));
    } else if (f[0] == "=>" && !info->dependencies.empty()) {
      Module r = ModuleFromFields(f);
      info->dependencies.back().replaced_by = r.version.empty() ? r.path : r.path + " " + r.version;
    } else if (f[0] == "build" && f.size() > 1) {
      std::string_view kv = f[1];
      size_t eq = kv.find('=');
      info->settings.emplace_back(
          std::string(kv.substr(0, eq)),
          eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1)));
    }
  }
}

StatusOr<BuildInfo> ReadBuildInfo(const elf::ElfFile& elf) {
  std::optional<Bytes> blob = FindBlob(elf);
  if (!blob || blob->size() < kHeaderSize ||
      std::memcmp(blob->data(), kMagic.data(), kMagic.size()) != 0) {
    return NotFound("no Go build info (not a Go binary, or built by Go older than 1.13)");
  }
  ByteReader reader(*blob);
  int ptr_size = *reader.U8(14);
  uint8_t flags = *reader.U8(15);
  if (ptr_size != 4 && ptr_size != 8) return Malformed("build info has pointer size {}", ptr_size);
  bool big_endian = flags & kFlagBigEndian;

  std::optional<std::string_view> version;
  std::optional<std::string_view> modinfo;
  if (flags & kFlagInline) {
    uint64_t offset = kHeaderSize;
    version = ReadInlineString(reader, &offset);
    if (version) modinfo = ReadInlineString(reader, &offset);
  } else {
    // Pointer format: two pointers to string headers follow the 16-byte magic+flags.
    ByteReader words(*blob, !big_endian);
    auto version_ptr = words.Word(16, ptr_size);
    auto modinfo_ptr = words.Word(16 + ptr_size, ptr_size);
    if (version_ptr) version = ReadStringHeader(elf, *version_ptr, ptr_size, big_endian);
    if (modinfo_ptr) modinfo = ReadStringHeader(elf, *modinfo_ptr, ptr_size, big_endian);
  }
  if (!version || !modinfo) return Malformed("build info strings are out of range");
  BuildInfo info;
  info.go_version = std::string(*version);
  ParseModinfo(*modinfo, &info);
  return info;
}

}  // namespace gotap::gobin
