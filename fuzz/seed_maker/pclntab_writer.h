// seed_maker's table writer: the functions of a SeedSource as a complete, small pclntab in any of
// the four formats gotap reads (go-internals.md §3.2), so that seeds cover the Go 1.2 and 1.16
// layouts although all fixtures are built by Go 1.19.
#pragma once

#include <cstdint>

#include "seed_maker/go_tables.h"

namespace gotap::seeds {

enum class TableFormat { kGo12, kGo116, kGo118, kGo120 };
const char* TableFormatName(TableFormat format);  // "go12", "go116", "go118", "go120"

struct TableOptions {
  TableFormat format = TableFormat::kGo118;
  // Link-time address of the table's first byte; must be 8-aligned (pre-1.18 funcdata words are
  // aligned in the address space).
  uint64_t table_vaddr = 0;
  // The header's textStart (Go >= 1.18): normally source.text_start; 0 as in Go >= 1.26 or in
  // the file image of a PIE before relocation.
  uint64_t header_text_start = 0;
  // Link-time address of the gofunc blob, for pre-1.18 tables, which store absolute funcdata
  // pointers (gofunc + offset).
  uint64_t gofunc = 0;
};

// Offset of the header's textStart word in a Go >= 1.18 table.
constexpr uint64_t kTextStartOffset = 24;

// The table; the functions' inline trees go to `gofunc` (if not null), the blob that
// moduledata.gofunc must point to (funcdata are offsets or, before Go 1.18, pointers into it).
ByteVector WritePclntab(const SeedSource& source, const TableOptions& options,
                        ByteVector* gofunc = nullptr);

}  // namespace gotap::seeds
