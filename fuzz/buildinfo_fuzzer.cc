// Go build info: the input is a whole file image, parsed as ELF and then read with
// gobin::ReadBuildInfo (section or segment scan, inline or pointer format). The raw input is
// also handed to ParseModinfo and ParseGoVersion, which take text from the binary as is.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "elf/elf_file.h"
#include "fuzz_checks.h"
#include "gobin/buildinfo.h"

namespace gotap::fuzz {
namespace {

void CheckBuildInfo(const gobin::BuildInfo& info) {
  auto [major, minor] = info.MajorMinor();
  FUZZ_CHECK((major == 0 && minor == 0) || info.go_version.starts_with("go"));
  for (const gobin::Module& dep : info.dependencies) {
    FUZZ_CHECK(dep.path.find('\n') == std::string::npos);
  }
  for (const auto& [key, value] : info.settings) {
    FUZZ_CHECK(key.find('\n') == std::string::npos && value.find('\n') == std::string::npos);
  }
}

}  // namespace
}  // namespace gotap::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gotap;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gobin::BuildInfo from_text;
  gobin::ParseModinfo(text, &from_text);
  fuzz::CheckBuildInfo(from_text);
  gobin::ParseGoVersion(text.substr(0, 64));

  auto elf = elf::ElfFile::Parse(Bytes(data, size));
  if (!elf.ok()) return 0;
  auto info = gobin::ReadBuildInfo(*elf);
  if (info.ok()) fuzz::CheckBuildInfo(*info);
  return 0;
}
