#include "dwarf/libdw_file.h"

#include <fcntl.h>
#include <gelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

#include "dwarf/die_attrs.h"

namespace gotap::dwarf {
namespace {

// Closes what it holds unless released; keeps Open() free of repeated cleanup code.
struct PartialOpen {
  int fd = -1;
  Elf* elf = nullptr;
  ~PartialOpen() {
    if (elf != nullptr) elf_end(elf);
    if (fd >= 0) close(fd);
  }
};

bool LibelfReady() {
  static const bool ready = elf_version(EV_CURRENT) != EV_NONE;
  return ready;
}

// Checks that the section header table and every section lie inside the file (a truncated copy
// must be Malformed, not "no DWARF"), and returns whether a .debug_info with contents (plain,
// SHF_COMPRESSED or GNU .zdebug_info) is present.
StatusOr<bool> CheckSections(Elf* elf, uint64_t file_size, const std::string& path) {
  GElf_Ehdr ehdr;
  if (gelf_getehdr(elf, &ehdr) == nullptr) {
    return Malformed("{}: unreadable ELF header: {}", path, elf_errmsg(-1));
  }
  // libelf quietly reports no sections when their table lies past the end of the file, so check
  // the raw header. e_shnum == 0 with a table means extended numbering: at least entry 0 exists.
  uint64_t table_entries = ehdr.e_shnum != 0 ? ehdr.e_shnum : (ehdr.e_shoff != 0 ? 1 : 0);
  if (table_entries > 0 && (ehdr.e_shoff > file_size || ehdr.e_shentsize == 0 ||
                            table_entries > (file_size - ehdr.e_shoff) / ehdr.e_shentsize)) {
    return Malformed("{}: truncated: the section header table ends past the end of the file", path);
  }
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) {
    return Malformed("{}: unreadable section header table: {}", path, elf_errmsg(-1));
  }
  bool has_info = false;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr) {
      return Malformed("{}: unreadable section header: {}", path, elf_errmsg(-1));
    }
    const char* name = elf_strptr(elf, shstrndx, shdr.sh_name);
    if (name == nullptr) return Malformed("{}: unreadable section name: {}", path, elf_errmsg(-1));
    if (shdr.sh_type == SHT_NOBITS) continue;
    if (shdr.sh_offset > file_size || shdr.sh_size > file_size - shdr.sh_offset) {
      return Malformed("{}: truncated: section {} ends past the end of the file ({} bytes)", path,
                       name, file_size);
    }
    std::string_view view(name);
    if (view == ".debug_info" || view == ".zdebug_info") has_info = shdr.sh_size > 0;
  }
  return has_info;
}

}  // namespace

StatusOr<LibdwFile> LibdwFile::Open(const std::string& path) {
  if (!LibelfReady()) return Internal("libelf version mismatch: {}", elf_errmsg(-1));
  PartialOpen partial;
  partial.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (partial.fd < 0) {
    int error = errno;
    if (error == ENOENT) return NotFound("{}: no such file", path);
    return IoError("{}: cannot open: {}", path, strerror(error));
  }
  struct stat st;
  if (fstat(partial.fd, &st) != 0) return IoError("{}: fstat: {}", path, strerror(errno));
  if (!S_ISREG(st.st_mode)) return InvalidArgument("{}: not a regular file", path);

  // ELF_C_READ, not ELF_C_READ_MMAP: libelf then reads with pread(2), so a file truncated while
  // it is read gives a read error instead of SIGBUS.
  partial.elf = elf_begin(partial.fd, ELF_C_READ, nullptr);
  if (partial.elf == nullptr)
    return Malformed("{}: not a readable ELF file: {}", path, elf_errmsg(-1));
  if (elf_kind(partial.elf) != ELF_K_ELF) return Malformed("{}: not an ELF file", path);

  ASSIGN_OR_RETURN(bool has_info, CheckSections(partial.elf, st.st_size, path));
  if (!has_info) return NotFound("{}: no DWARF (built with -ldflags=-w or stripped)", path);

  Dwarf* dwarf = dwarf_begin_elf(partial.elf, DWARF_C_READ, nullptr);
  if (dwarf == nullptr) return Malformed("{}: unreadable DWARF: {}", path, LibdwError());
  LibdwFile file(std::exchange(partial.fd, -1), std::exchange(partial.elf, nullptr), dwarf);
  return file;
}

LibdwFile::LibdwFile(LibdwFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      elf_(std::exchange(other.elf_, nullptr)),
      dwarf_(std::exchange(other.dwarf_, nullptr)) {}

LibdwFile& LibdwFile::operator=(LibdwFile&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    elf_ = std::exchange(other.elf_, nullptr);
    dwarf_ = std::exchange(other.dwarf_, nullptr);
  }
  return *this;
}

LibdwFile::~LibdwFile() { Close(); }

void LibdwFile::Close() {
  if (dwarf_ != nullptr) dwarf_end(dwarf_);
  if (elf_ != nullptr) elf_end(elf_);
  if (fd_ >= 0) close(fd_);
  dwarf_ = nullptr;
  elf_ = nullptr;
  fd_ = -1;
}

}  // namespace gotap::dwarf
