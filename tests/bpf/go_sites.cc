#include "go_sites.h"

#include <cstdio>
#include <memory>
#include <sstream>

#include "base/byte_reader.h"
#include "base/mapped_file.h"

namespace gotap::bpf::testing {
namespace {

constexpr const char* kGo = "/usr/lib/go-1.19/bin/go";

StatusOr<std::string> RunCommand(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return IoError("popen {}", command);
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe.get())) > 0) out.append(buf, n);
  if (pclose(pipe.release()) != 0) return IoError("command failed: {}", command);
  return out;
}

struct Instruction {
  uint64_t vaddr;
  std::string text;  // Go assembler syntax, e.g. "CMPQ 0x10(R14), SP"
};

// Lines look like "  main.go:11\t\t0x48d680\t\t493b6610\t\tCMPQ 0x10(R14), SP\t".
std::vector<Instruction> ParseObjdump(const std::string& out) {
  std::vector<Instruction> insns;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("TEXT ", 0) == 0) {
      if (!insns.empty()) break;  // only the first function
      continue;
    }
    std::vector<std::string> fields;
    std::istringstream cols(line);
    std::string field;
    while (std::getline(cols, field, '\t')) {
      if (!field.empty()) fields.push_back(field);
    }
    if (fields.size() < 4 || fields[1].rfind("0x", 0) != 0) continue;
    insns.push_back({std::stoull(fields[1], nullptr, 16), fields[3]});
  }
  return insns;
}

}  // namespace

StatusOr<uint64_t> VaddrToFileOffset(const std::string& binary, uint64_t vaddr) {
  ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(binary));
  ByteReader r(file.bytes());
  auto phoff = r.U64(0x20);
  auto phentsize = r.U16(0x36);
  auto phnum = r.U16(0x38);
  if (!phoff || !phentsize || !phnum) return Malformed("{}: no ELF header", binary);
  for (uint16_t i = 0; i < *phnum; ++i) {
    uint64_t ph = *phoff + uint64_t{i} * *phentsize;
    auto type = r.U32(ph);
    auto offset = r.U64(ph + 8);
    auto start = r.U64(ph + 16);
    auto filesz = r.U64(ph + 32);
    if (!type || !offset || !start || !filesz) return Malformed("{}: truncated phdrs", binary);
    if (*type == 1 /* PT_LOAD */ && vaddr >= *start && vaddr - *start < *filesz) {
      return vaddr - *start + *offset;
    }
  }
  return NotFound("{}: vaddr {:#x} is in no PT_LOAD segment", binary, vaddr);
}

StatusOr<FunctionSites> FindFunctionSites(const std::string& binary, const std::string& name) {
  ASSIGN_OR_RETURN(std::string out,
                   RunCommand(fmt::format("{} tool objdump -s '^{}$' {}", kGo, name, binary)));
  std::vector<Instruction> insns = ParseObjdump(out);
  if (insns.empty()) return NotFound("{}: no function {}", binary, name);
  FunctionSites sites;
  ASSIGN_OR_RETURN(sites.entry, VaddrToFileOffset(binary, insns[0].vaddr));
  sites.stack_check = sites.after_check = sites.entry;
  // The stack check compares g.stackguard0 (0x10(R14)) with SP or with SP minus the frame
  // (LEAQ/MOVQ+SUBQ into R12 first) and ends with the first JBE, to the morestack tail.
  bool checks = false;
  for (size_t i = 0; i < insns.size() && i < 4; ++i) {
    checks |= insns[i].text.find("CMPQ 0x10(R14), ") == 0;
  }
  for (size_t i = 0; checks && i + 1 < insns.size() && i < 6; ++i) {
    if (insns[i].text.rfind("JBE ", 0) == 0) {
      ASSIGN_OR_RETURN(sites.stack_check, VaddrToFileOffset(binary, insns[i].vaddr));
      ASSIGN_OR_RETURN(sites.after_check, VaddrToFileOffset(binary, insns[i + 1].vaddr));
      break;
    }
  }
  for (const Instruction& insn : insns) {
    if (insn.text.rfind("RET", 0) == 0) {
      ASSIGN_OR_RETURN(uint64_t offset, VaddrToFileOffset(binary, insn.vaddr));
      sites.returns.push_back(offset);
    }
  }
  return sites;
}

StatusOr<std::vector<uint64_t>> InstructionOffsets(const std::string& binary, size_t limit) {
  ASSIGN_OR_RETURN(std::string out, RunCommand(fmt::format("{} tool objdump {}", kGo, binary)));
  std::vector<uint64_t> offsets;
  std::istringstream lines(out);
  std::string line;
  while (offsets.size() < limit && std::getline(lines, line)) {
    std::vector<std::string> fields;
    std::istringstream cols(line);
    std::string field;
    while (std::getline(cols, field, '\t')) {
      if (!field.empty()) fields.push_back(field);
    }
    if (fields.size() < 4 || fields[1].rfind("0x", 0) != 0) continue;
    if (fields[3].rfind("INT $0x3", 0) == 0) continue;
    // Only compiled Go code: hand-written assembly holds VEX (AVX) instructions, which x86
    // uprobes refuse (ENOTSUPP) and which Go 1.19's objdump decodes with wrong lengths.
    if (fields[0].find(".go:") == std::string::npos) continue;
    if (fields[3].rfind("LOCK ", 0) == 0) continue;  // refused too (ENOTSUPP)
    ASSIGN_OR_RETURN(uint64_t offset,
                     VaddrToFileOffset(binary, std::stoull(fields[1], nullptr, 16)));
    offsets.push_back(offset);
  }
  return offsets;
}

StatusOr<std::vector<uint64_t>> FunctionEntries(const std::string& binary, size_t limit) {
  ASSIGN_OR_RETURN(std::string out,
                   RunCommand(fmt::format("{} tool nm -sort address {}", kGo, binary)));
  std::vector<uint64_t> entries;
  std::istringstream lines(out);
  std::string line;
  uint64_t last = 0;
  while (entries.size() < limit && std::getline(lines, line)) {
    std::istringstream cols(line);
    std::string addr, type, symbol;
    if (!(cols >> addr >> type >> symbol) || type != "T") continue;
    uint64_t vaddr = std::stoull(addr, nullptr, 16);
    if (vaddr == last) continue;  // aliases share an entry
    last = vaddr;
    ASSIGN_OR_RETURN(uint64_t offset, VaddrToFileOffset(binary, vaddr));
    entries.push_back(offset);
  }
  return entries;
}

}  // namespace gotap::bpf::testing
