#include "gobin/build_version.h"

#include <elf.h>

#include <cstring>
#include <map>
#include <utility>

#include "gobin/locate.h"

namespace gotap::gobin {
namespace {

// "go1.27.3 X:nodwarf5" is 19 bytes; leave room for a few experiments, no more.
constexpr uint64_t kMaxVersionLength = 64;

bool Digits(std::string_view s, size_t* at) {
  size_t start = *at;
  while (*at < s.size() && s[*at] >= '0' && s[*at] <= '9') ++*at;
  return *at > start;
}

// True iff some instruction of `code` (at `entry`) has a RIP-relative disp32 addressing
// [target, target + 16): the disp32 is followed by 0, 1 or 4 bytes of immediate.
bool AddressesRipRelative(Bytes code, uint64_t entry, uint64_t target) {
  for (size_t i = 0; i + 4 <= code.size(); ++i) {
    int32_t disp = 0;
    std::memcpy(&disp, code.data() + i, 4);
    for (uint64_t imm : {0, 1, 4}) {
      uint64_t to = entry + i + 4 + imm + static_cast<uint64_t>(static_cast<int64_t>(disp));
      if (to >= target && to < target + 16) return true;
    }
  }
  return false;
}

}  // namespace

bool LooksLikeGoReleaseVersion(std::string_view text) {
  if (!text.starts_with("go1.")) return false;
  size_t at = 4;
  if (!Digits(text, &at)) return false;
  if (at < text.size() && text[at] == '.') {
    ++at;
    if (!Digits(text, &at)) return false;
  }
  for (std::string_view pre : {"rc", "beta"}) {
    if (text.substr(at).starts_with(pre)) {
      at += pre.size();
      if (!Digits(text, &at)) return false;
      break;
    }
  }
  if (at == text.size()) return true;
  if (text[at] != ' ') return false;
  for (; at < text.size(); ++at) {
    if (text[at] < 0x20 || text[at] > 0x7e) return false;
  }
  return true;
}

std::optional<std::string> FindRuntimeBuildVersion(const elf::ElfFile& elf,
                                                   std::optional<Bytes> schedinit_code,
                                                   uint64_t schedinit_entry) {
  std::map<uint64_t, std::string> candidates;  // header vaddr -> version
  ForEachWritableWord(elf, /*skip_executable=*/true, [&](uint64_t vaddr, Bytes rest) {
    if (rest.size() < 16) return false;
    uint64_t length = 0;
    std::memcpy(&length, rest.data() + 8, 8);
    if (length < 5 || length > kMaxVersionLength) return false;
    // Cheap test first: the bytes it points to must start "go1.".
    auto ptr = ReadLinkTimeWord(elf, vaddr);
    if (!ptr || *ptr == 0) return false;
    auto text = elf.ReadVaddr(*ptr, length);
    if (!text) return false;
    std::string_view s(reinterpret_cast<const char*>(text->data()), text->size());
    if (LooksLikeGoReleaseVersion(s)) candidates.emplace(vaddr, std::string(s));
    return false;
  });
  if (candidates.size() == 1) return candidates.begin()->second;
  if (candidates.empty() || !schedinit_code) return std::nullopt;
  std::optional<std::string> referenced;
  for (const auto& [vaddr, version] : candidates) {
    if (!AddressesRipRelative(*schedinit_code, schedinit_entry, vaddr)) continue;
    if (referenced) return std::nullopt;  // two: not decidable
    referenced = version;
  }
  return referenced;
}

}  // namespace gotap::gobin
