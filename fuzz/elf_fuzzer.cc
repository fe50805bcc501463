// elf::ElfFile::Parse on arbitrary bytes, then every accessor. Every view the parser hands back
// must lie inside the input (ElfFile views, never copies, the bytes it was parsed from).
#include <cstddef>
#include <cstdint>

#include "elf/elf_file.h"
#include "fuzz_checks.h"

namespace gotap::fuzz {
namespace {

void CheckRead(const elf::ElfFile& elf, Bytes input, uint64_t vaddr, uint64_t length) {
  if (auto bytes = elf.ReadVaddr(vaddr, length)) {
    FUZZ_CHECK(bytes->size() == length);
    FUZZ_CHECK(Within(input, *bytes));
    Touch(*bytes);
    // The same bytes are reachable through the segment and the file-offset views.
    FUZZ_CHECK(elf.SegmentForVaddr(vaddr) != nullptr);
    auto offset = elf.VaddrToFileOffset(vaddr);
    FUZZ_CHECK(offset.has_value());
    if (length > 0) FUZZ_CHECK(bytes->data() == input.data() + *offset);
  }
  if (auto rest = elf.ReadVaddrToSegmentEnd(vaddr)) {
    FUZZ_CHECK(Within(input, *rest));
    Touch(*rest);
  }
  elf.RelativeRelocationAddend(vaddr);
}

}  // namespace
}  // namespace gotap::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gotap;
  using gotap::fuzz::Touch;
  using gotap::fuzz::Within;
  const Bytes input(data, size);
  auto parsed = elf::ElfFile::Parse(input);
  if (!parsed.ok()) {
    FUZZ_CHECK(!parsed.status().message().empty());
    return 0;
  }
  const elf::ElfFile& elf = *parsed;
  FUZZ_CHECK(elf.bytes().data() == data && elf.bytes().size() == size);
  elf::MachineName(elf.machine());

  for (const elf::Section& section : elf.sections()) {
    const elf::Section* found = elf.FindSection(section.name);
    FUZZ_CHECK(found != nullptr && found->name == section.name);
    if (auto bytes = elf.SectionData(section)) {
      FUZZ_CHECK(bytes->size() == section.size);
      FUZZ_CHECK(Within(input, *bytes));
      Touch(*bytes);
    }
    fuzz::CheckRead(elf, input, section.vaddr, section.size < 64 ? section.size : 64);
  }
  for (const elf::Segment& segment : elf.segments()) {
    fuzz::CheckRead(elf, input, segment.vaddr, 0);
    fuzz::CheckRead(elf, input, segment.vaddr, segment.file_size);
    fuzz::CheckRead(elf, input, segment.vaddr + segment.file_size / 2, 8);
    fuzz::CheckRead(elf, input, segment.vaddr + segment.file_size - 1, 1);
    fuzz::CheckRead(elf, input, segment.vaddr + segment.file_size, 1);  // just past the end
  }
  FUZZ_CHECK(elf.has_symtab() || elf.symbols().empty());
  size_t looked_up = 0;
  for (const elf::Symbol& symbol : elf.symbols()) {
    FUZZ_CHECK(Within(input, symbol.name));
    Touch(symbol.name);
    if (looked_up++ < 16) {
      const elf::Symbol* found = elf.FindSymbol(symbol.name);
      FUZZ_CHECK(found != nullptr && found->name == symbol.name);
    }
    if (looked_up < 64)
      fuzz::CheckRead(elf, input, symbol.value, symbol.size < 16 ? symbol.size : 16);
  }
  fuzz::CheckRead(elf, input, elf.entry_point(), 16);
  fuzz::CheckRead(elf, input, 0, 8);
  fuzz::CheckRead(elf, input, UINT64_MAX, 1);
  fuzz::CheckRead(elf, input, UINT64_MAX - 7, 8);
  return 0;
}
