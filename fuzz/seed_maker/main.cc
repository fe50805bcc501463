// seed_maker OUT_DIR [GO_BINARY...]
//
// Writes small fuzzing seeds made from windows of real functions of each Go (>= 1.18) binary:
//   OUT_DIR/pclntab/*.tab  standalone pclntab tables in the Go 1.2, 1.16, 1.18 and 1.20 formats
//                          (and a 1.20 table with textStart 0, as Go >= 1.26 writes it)
//   OUT_DIR/elf/*.elf      small Go executables around those tables: plain, with .symtab, PIE,
//                          without section headers, Go 1.26 style (.go.module)
//   OUT_DIR/whole-pclntab/*.tab  each input's whole .gopclntab (any Go version), for replay
//   OUT_DIR/elf/*.types.elf  a few dozen runtime type descriptors of the binary and what they
//                          point to (names, pointees, fields), with a .typelink for them
//   OUT_DIR/iface/*.blob   interface walks as the BPF program writes them (made, not read)
// Exit status 1 if binaries were given but no seed could be made from any of them.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "seed_maker/elf_writer.h"
#include "seed_maker/go_tables.h"
#include "seed_maker/iface_seeds.h"
#include "seed_maker/pclntab_writer.h"
#include "seed_maker/types_writer.h"

namespace {

using gotap::seeds::ByteVector;
using gotap::seeds::ElfOptions;
using gotap::seeds::TableFormat;

// Where pclntab_fuzzer pretends the table is linked; any 8-aligned address works for the seeds.
constexpr uint64_t kTableVaddr = 0x4e0f80;
constexpr TableFormat kAllFormats[] = {TableFormat::kGo12, TableFormat::kGo116, TableFormat::kGo118,
                                       TableFormat::kGo120};

bool WriteFile(const std::filesystem::path& path, const ByteVector& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

int WriteSeeds(const gotap::seeds::SeedSource& source, const std::string& stem,
               const std::filesystem::path& out_dir) {
  int written = 0;
  auto emit = [&](const std::string& dir, const std::string& name, const ByteVector& bytes) {
    if (WriteFile(out_dir / dir / (stem + "." + name), bytes)) ++written;
  };
  const TableFormat native = source.go120 ? TableFormat::kGo120 : TableFormat::kGo118;
  for (TableFormat format : kAllFormats) {
    gotap::seeds::TableOptions table{format, kTableVaddr, source.text_start, kTableVaddr};
    emit("pclntab", std::string(TableFormatName(format)) + ".tab",
         gotap::seeds::WritePclntab(source, table));
    emit("elf", std::string(TableFormatName(format)) + ".elf",
         gotap::seeds::WriteElf(source, ElfOptions{.format = format}));
  }
  gotap::seeds::TableOptions no_text{TableFormat::kGo120, kTableVaddr, 0, kTableVaddr};
  emit("pclntab", "go126.tab", gotap::seeds::WritePclntab(source, no_text));
  emit("elf", "symtab.elf", gotap::seeds::WriteElf(source, {.format = native, .symtab = true}));
  emit("elf", "pie.elf", gotap::seeds::WriteElf(source, {.format = native, .pie = true}));
  emit("elf", "noshdr.elf",
       gotap::seeds::WriteElf(source, {.format = native, .section_headers = false}));
  emit("elf", "go126.elf",
       gotap::seeds::WriteElf(source, {.format = TableFormat::kGo120, .go_module_section = true}));
  emit("elf", "go116-noshdr.elf",
       gotap::seeds::WriteElf(source, {.format = TableFormat::kGo116, .section_headers = false}));
  return written;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR [GO_BINARY...]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out_dir = argv[1];
  std::filesystem::create_directories(out_dir / "pclntab");
  std::filesystem::create_directories(out_dir / "elf");
  std::filesystem::create_directories(out_dir / "whole-pclntab");
  int made = 0;
  std::filesystem::create_directories(out_dir / "iface");
  for (const auto& [name, bytes] : gotap::seeds::IfaceSeeds()) {
    if (WriteFile(out_dir / "iface" / name, bytes)) ++made;
  }
  int written = 0;
  std::set<std::string> stems;
  for (int i = 2; i < argc; ++i) {
    // npm packages all name their binary `esbuild`: qualify a repeated name by its package.
    const std::filesystem::path path = argv[i];
    std::string stem = path.filename().string();
    if (!stems.insert(stem).second) {
      stem.insert(0, path.parent_path().parent_path().filename().string() + ".");
      stems.insert(stem);
    }
    // The runtime's first functions (assembly, no funcdata), the main package (closures,
    // methods) and the first generic instantiation (pclntab abbreviates its type arguments).
    const std::pair<const char*, std::function<bool(std::string_view)>> windows[] = {
        {"first", [](std::string_view) { return true; }},
        {"main", [](std::string_view name) { return name.starts_with("main."); }},
        {"generic",
         [](std::string_view name) {
           return !name.starts_with("type") && name.find('[') != name.npos;
         }},
    };
    bool go118 = false;  // ReadSeedSource reads Go >= 1.18 binaries only: varint type names
    for (const auto& [window_name, starts] : windows) {
      gotap::seeds::WindowSpec window;
      window.starts = starts;
      auto source = gotap::seeds::ReadSeedSource(path.string(), window);
      if (!source) continue;
      go118 = true;
      written += WriteSeeds(*source, stem + "." + window_name, out_dir);
    }
    if (auto types = go118 ? gotap::seeds::WriteTypesSeed(path.string(), true) : std::nullopt) {
      if (WriteFile(out_dir / "elf" / (stem + ".types.elf"), *types)) ++written;
    }
    // What gobin decodes the goid offset from: the code of runtime.goroutineheader and the
    // entries of the print functions it calls.
    gotap::seeds::WindowSpec goid;
    goid.only = {"runtime.goroutineheader", "runtime.printint", "runtime.printuint"};
    if (auto source = gotap::seeds::ReadSeedSource(path.string(), goid)) {
      written += WriteSeeds(*source, stem + ".goid", out_dir);
    }
    // The whole table too, any Go version: too big to mutate well, but worth one run each.
    if (auto table =
            gotap::seeds::ReadSectionBytes(path, {".gopclntab", ".data.rel.ro.gopclntab"})) {
      if (WriteFile(out_dir / "whole-pclntab" / (stem + ".tab"), *table)) ++written;
    }
  }
  std::printf("seed_maker: wrote %d seeds from binaries and %d made ones to %s\n", written, made,
              out_dir.c_str());
  return written > 0 || argc == 2 ? 0 : 1;
}
