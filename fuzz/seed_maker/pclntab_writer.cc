#include "seed_maker/pclntab_writer.h"

#include <map>
#include <string>
#include <vector>

namespace gotap::seeds {
namespace {

void Put(ByteVector* out, uint64_t value, int size) {
  for (int i = 0; i < size; ++i) out->push_back(static_cast<uint8_t>(value >> (8 * i)));
}
void PutAt(ByteVector* out, uint64_t at, uint64_t value, int size) {
  for (int i = 0; i < size; ++i) (*out)[at + i] = static_cast<uint8_t>(value >> (8 * i));
}
void Align(ByteVector* out, size_t alignment) {
  while (out->size() % alignment != 0) out->push_back(0);
}

uint32_t Magic(TableFormat format) {
  switch (format) {
    case TableFormat::kGo12:
      return 0xfffffffb;
    case TableFormat::kGo116:
      return 0xfffffffa;
    case TableFormat::kGo118:
      return 0xfffffff0;
    case TableFormat::kGo120:
      return 0xfffffff1;
  }
  return 0;
}

// Function names and pc-value tables, each stored once; offsets are relative to the blob.
struct Blobs {
  ByteVector names;
  std::map<std::string, uint32_t> name_offsets;
  ByteVector pcs{0};  // offset 0 means "no table", so the blob starts with a pad byte
  std::map<ByteVector, uint32_t> pc_offsets;

  uint32_t AddName(const std::string& name) {
    auto [it, inserted] = name_offsets.emplace(name, static_cast<uint32_t>(names.size()));
    if (inserted) names.insert(names.end(), name.c_str(), name.c_str() + name.size() + 1);
    return it->second;
  }
  uint32_t AddPcTable(const ByteVector& table) {
    if (table.empty()) return 0;
    auto [it, inserted] = pc_offsets.emplace(table, static_cast<uint32_t>(pcs.size()));
    if (inserted) pcs.insert(pcs.end(), table.begin(), table.end());
    return it->second;
  }
};

// Encodes every function's inline tree into `gofunc` (the blob moduledata.gofunc points to) and
// returns each function's funcdata offsets: the tree's slot (index 4 in the Go 1.2 format, 3 after)
// points into the blob, every other funcdata is absent. Callee names go to the name blob;
// `name_base` turns name blob offsets into the format's offsets.
std::vector<std::vector<uint32_t>> WriteInlineTrees(const SeedSource& source, TableFormat format,
                                                    uint64_t name_base, Blobs* blobs,
                                                    ByteVector* gofunc) {
  std::vector<std::vector<uint32_t>> funcdata;
  const size_t slot = format == TableFormat::kGo12 ? kFuncdataInlTree + 1 : kFuncdataInlTree;
  for (const SeedFunction& f : source.functions) {
    std::vector<uint32_t> offsets(f.funcdata.size(), UINT32_MAX);
    if (!f.inline_tree.empty()) {
      if (offsets.size() <= slot) offsets.resize(slot + 1, UINT32_MAX);
      Align(gofunc, 8);
      offsets[slot] = static_cast<uint32_t>(gofunc->size());
      for (const InlineEntry& e : f.inline_tree) {
        const uint64_t name = name_base + blobs->AddName(e.name);
        if (format == TableFormat::kGo120) {
          Put(gofunc, e.func_id, 4);  // funcID, 3 pad bytes
          Put(gofunc, name, 4);
          Put(gofunc, static_cast<uint32_t>(e.parent_pc), 4);
          Put(gofunc, static_cast<uint32_t>(e.start_line), 4);
        } else {
          Put(gofunc, static_cast<uint16_t>(e.parent), 2);
          Put(gofunc, e.func_id, 2);  // funcID, 1 pad byte
          Put(gofunc, static_cast<uint32_t>(e.file), 4);
          Put(gofunc, static_cast<uint32_t>(e.line), 4);
          Put(gofunc, name, 4);
          Put(gofunc, static_cast<uint32_t>(e.parent_pc), 4);
        }
      }
    }
    funcdata.push_back(std::move(offsets));
  }
  return funcdata;
}

// Appends one _func record at the end of `out`. Pre-1.18 funcdata are absolute pointers,
// 8-aligned in the address space (the table start is 8-aligned, so aligning in `out` suffices).
// `name_offset` and `pc_base` are in the format's terms (see WritePclntab).
void WriteRecord(const SeedSource& source, const SeedFunction& f,
                 const std::vector<uint32_t>& funcdata, const TableOptions& options, Blobs* blobs,
                 uint64_t name_offset, uint64_t pc_base, ByteVector* out) {
  const TableFormat format = options.format;
  const bool wide = format == TableFormat::kGo12 || format == TableFormat::kGo116;
  auto pc = [&](const ByteVector& table) {
    uint32_t at = blobs->AddPcTable(table);
    return at == 0 ? 0 : pc_base + at;
  };
  Put(out, wide ? f.entry : f.entry - source.text_start, wide ? 8 : 4);
  Put(out, name_offset, 4);
  Put(out, static_cast<uint32_t>(f.args), 4);
  Put(out, f.deferreturn, 4);
  Put(out, pc(f.pcsp), 4);
  Put(out, pc(f.pcfile), 4);
  Put(out, pc(f.pcln), 4);
  Put(out, f.pcdata.size(), 4);
  if (format != TableFormat::kGo12) Put(out, 0, 4);  // cuOffset
  if (format == TableFormat::kGo120) Put(out, static_cast<uint32_t>(f.start_line), 4);
  Put(out, f.func_id, 1);
  Put(out, format == TableFormat::kGo12 ? 0 : f.flag, 1);
  Put(out, 0, 1);
  Put(out, funcdata.size(), 1);
  for (const ByteVector& table : f.pcdata) Put(out, pc(table), 4);
  if (!wide) {
    for (uint32_t offset : funcdata) Put(out, offset, 4);
    return;
  }
  Align(out, 8);
  for (uint32_t offset : funcdata) {
    Put(out, offset == UINT32_MAX ? 0 : options.gofunc + offset, 8);
  }
}

}  // namespace

const char* TableFormatName(TableFormat format) {
  switch (format) {
    case TableFormat::kGo12:
      return "go12";
    case TableFormat::kGo116:
      return "go116";
    case TableFormat::kGo118:
      return "go118";
    case TableFormat::kGo120:
      return "go120";
  }
  return "?";
}

ByteVector WritePclntab(const SeedSource& source, const TableOptions& options, ByteVector* gofunc) {
  const TableFormat format = options.format;
  const size_t n = source.functions.size();
  // Names and pc-value tables precede the records, which then only look their offsets up.
  Blobs blobs;
  std::vector<uint32_t> names;
  for (const SeedFunction& f : source.functions) {
    names.push_back(blobs.AddName(f.name));
    blobs.AddPcTable(f.pcsp), blobs.AddPcTable(f.pcfile), blobs.AddPcTable(f.pcln);
    for (const ByteVector& t : f.pcdata) blobs.AddPcTable(t);
  }
  // Go 1.2 offsets are from the table start, where the names follow the function table.
  const uint64_t go12_names_at = 16 + (n + 1) * 16;
  ByteVector inline_trees;
  const std::vector<std::vector<uint32_t>> funcdata = WriteInlineTrees(
      source, format, format == TableFormat::kGo12 ? go12_names_at : 0, &blobs, &inline_trees);
  if (gofunc != nullptr) *gofunc = std::move(inline_trees);

  ByteVector table;
  Put(&table, Magic(format), 4);
  Put(&table, 0, 2);
  Put(&table, source.quantum, 1);
  Put(&table, 8, 1);
  Put(&table, n, 8);

  if (format == TableFormat::kGo12) {
    // One table: functab, names, pc-value tables, filetab, records; every offset (names, pc
    // tables, records) is relative to the table start.
    const uint64_t functab_at = 16;
    const uint64_t names_at = go12_names_at;
    const uint64_t pcs_at = names_at + blobs.names.size();
    table.resize(names_at);
    table.insert(table.end(), blobs.names.begin(), blobs.names.end());
    table.insert(table.end(), blobs.pcs.begin(), blobs.pcs.end());
    const uint64_t filetab_at = table.size();
    Put(&table, 1, 4);  // filetab: nfiles, then no names
    for (size_t i = 0; i < n; ++i) {
      Align(&table, 8);
      const SeedFunction& f = source.functions[i];
      PutAt(&table, functab_at + 16 * i, f.entry, 8);
      PutAt(&table, functab_at + 16 * i + 8, table.size(), 8);
      WriteRecord(source, f, funcdata[i], options, &blobs, names_at + names[i], pcs_at, &table);
    }
    PutAt(&table, functab_at + 16 * n, source.functions.back().end, 8);
    PutAt(&table, functab_at + 16 * n + 8, filetab_at, 4);
    return table;
  }

  const bool go118 = format == TableFormat::kGo118 || format == TableFormat::kGo120;
  const uint64_t header_size = go118 ? 72 : 64;
  table.resize(header_size);
  auto header_word = [&](uint64_t index, uint64_t value) { PutAt(&table, 8 * index, value, 8); };
  header_word(2, 1);  // nfiles
  if (go118) header_word(3, options.header_text_start);
  const uint64_t offsets_from = go118 ? 4 : 3;  // funcname, cu, filetab, pctab, pcln
  header_word(offsets_from, table.size());
  table.insert(table.end(), blobs.names.begin(), blobs.names.end());
  Align(&table, 4);
  header_word(offsets_from + 1, table.size());
  Put(&table, 0, 4);  // cutab: compilation unit 0, file 0 -> filetab offset 0
  header_word(offsets_from + 2, table.size());
  for (char c : std::string_view("seed.go")) Put(&table, static_cast<uint8_t>(c), 1);
  Put(&table, 0, 1);
  header_word(offsets_from + 3, table.size());
  table.insert(table.end(), blobs.pcs.begin(), blobs.pcs.end());
  Align(&table, 8);
  const uint64_t pcln_at = table.size();
  header_word(offsets_from + 4, pcln_at);
  const uint64_t entry_size = go118 ? 8 : 16;
  table.resize(pcln_at + n * entry_size + (go118 ? 4 : 16));
  for (size_t i = 0; i < n; ++i) {
    Align(&table, 8);
    const SeedFunction& f = source.functions[i];
    const uint64_t slot = pcln_at + i * entry_size;
    const uint64_t record = table.size() - pcln_at;
    if (go118) {
      PutAt(&table, slot, f.entry - source.text_start, 4);
      PutAt(&table, slot + 4, record, 4);
    } else {
      PutAt(&table, slot, f.entry, 8);
      PutAt(&table, slot + 8, record, 8);
    }
    WriteRecord(source, f, funcdata[i], options, &blobs, names[i], 0, &table);
  }
  const uint64_t end = source.functions.back().end;
  PutAt(&table, pcln_at + n * entry_size, go118 ? end - source.text_start : end, go118 ? 4 : 8);
  return table;
}

}  // namespace gotap::seeds
