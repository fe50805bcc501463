// Internal: an ELF file opened with libelf and its DWARF opened with libdw, closed on destruction.
#pragma once

#include <elfutils/libdw.h>
#include <libelf.h>

#include <string>

#include "base/status.h"

namespace gotap::dwarf {

class LibdwFile {
 public:
  // kNotFound if the path does not exist or the ELF file has no .debug_info/.zdebug_info
  // ("no DWARF"); kMalformed if it is not ELF, is truncated (a section or the section header
  // table ends past the end of the file) or libdw cannot read its DWARF. Compressed debug
  // sections, SHF_COMPRESSED (Go 1.19) and GNU .zdebug_* (older Go), are inflated by libdw 0.188
  // itself in dwarf_begin_elf.
  static StatusOr<LibdwFile> Open(const std::string& path);

  LibdwFile(LibdwFile&& other) noexcept;
  LibdwFile& operator=(LibdwFile&& other) noexcept;
  LibdwFile(const LibdwFile&) = delete;
  LibdwFile& operator=(const LibdwFile&) = delete;
  ~LibdwFile();

  Dwarf* dwarf() const { return dwarf_; }  // never null unless moved-from

 private:
  LibdwFile(int fd, Elf* elf, Dwarf* dwarf) : fd_(fd), elf_(elf), dwarf_(dwarf) {}
  void Close();

  int fd_ = -1;
  Elf* elf_ = nullptr;
  Dwarf* dwarf_ = nullptr;  // does not own elf_ (dwarf_begin_elf)
};

}  // namespace gotap::dwarf
