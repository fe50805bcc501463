// seed_maker's ELF writer: a complete but small Go executable image (a few KB) around a window of
// functions — code, pclntab, build info, moduledata, and optionally .symtab, PIE relocations or no
// section headers at all — so that the whole-file fuzzers start from inputs that reach deep into
// gobin::Binary instead of megabyte-sized real binaries.
#pragma once

#include "seed_maker/go_tables.h"
#include "seed_maker/pclntab_writer.h"

namespace gotap::seeds {

struct ElfOptions {
  TableFormat format = TableFormat::kGo118;
  // Without section headers every table must be found by scanning segments.
  bool section_headers = true;
  // Adds .symtab/.strtab and names the pclntab section `.rodata`, so that pclntab and
  // moduledata are found through the runtime.pclntab / runtime.firstmoduledata symbols.
  bool symtab = false;
  // ET_DYN: pclntab's textStart and moduledata's pointers are 0 in the file and come from
  // R_*_RELATIVE addends, as in Go PIE binaries. Needs a Go >= 1.18 format.
  bool pie = false;
  // Go >= 1.26: textStart is 0 and moduledata is the `.go.module` section.
  bool go_module_section = false;
};

ByteVector WriteElf(const SeedSource& source, const ElfOptions& options);

}  // namespace gotap::seeds
