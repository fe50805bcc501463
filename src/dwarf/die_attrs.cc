#include "dwarf/die_attrs.h"

#include <dwarf.h>
#include <gelf.h>

namespace gotap::dwarf {
namespace {

Dwarf_Attribute* GetAttr(Dwarf_Die* die, unsigned name, bool integrate, Dwarf_Attribute* mem) {
  return integrate ? dwarf_attr_integrate(die, name, mem) : dwarf_attr(die, name, mem);
}

// Reads the operand of a one-operation expression from raw block bytes.
std::optional<uint64_t> DecodeSingleOp(Dwarf_Die* die, const Dwarf_Block& block, uint8_t atom) {
  if (block.length < 2 || block.data == nullptr || block.data[0] != atom) return std::nullopt;
  const unsigned char* operand = block.data + 1;
  size_t operand_length = block.length - 1;
  if (atom == DW_OP_addr) {
    Dwarf_Die cu;
    uint8_t address_size = 0;
    uint8_t offset_size = 0;
    if (dwarf_diecu(die, &cu, &address_size, &offset_size) == nullptr ||
        operand_length != address_size || (address_size != 4 && address_size != 8)) {
      return std::nullopt;
    }
    Elf* elf = dwarf_getelf(dwarf_cu_getdwarf(cu.cu));
    const char* ident = elf != nullptr ? elf_getident(elf, nullptr) : nullptr;
    bool big_endian = ident != nullptr && ident[EI_DATA] == ELFDATA2MSB;
    uint64_t value = 0;
    for (size_t i = 0; i < address_size; ++i) {
      size_t byte = big_endian ? i : address_size - 1 - i;
      value = (value << 8) | operand[byte];
    }
    return value;
  }
  if (atom == DW_OP_plus_uconst) {  // ULEB128 spanning the rest of the block
    uint64_t value = 0;
    for (size_t i = 0; i < operand_length && i < 10; ++i) {
      value |= uint64_t{operand[i] & 0x7fu} << (7 * i);
      if ((operand[i] & 0x80) == 0)
        return i + 1 == operand_length ? std::optional(value) : std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<uint64_t> SingleOpAttr(Dwarf_Die* die, unsigned name, uint8_t atom) {
  Dwarf_Attribute attr;
  if (dwarf_attr(die, name, &attr) == nullptr) return std::nullopt;
  Dwarf_Op* ops = nullptr;
  size_t count = 0;
  if (dwarf_getlocation(&attr, &ops, &count) == 0) {
    if (count == 1 && ops[0].atom == atom) return ops[0].number;
    return std::nullopt;
  }
  Dwarf_Block block;
  if (dwarf_formblock(&attr, &block) != 0) return std::nullopt;
  return DecodeSingleOp(die, block, atom);
}

std::string LibdwError() {
  const char* message = dwarf_errmsg(-1);
  return message != nullptr ? message : "unknown libdw error";
}

std::optional<uint64_t> UdataAttr(Dwarf_Die* die, unsigned name, bool integrate) {
  Dwarf_Attribute attr;
  Dwarf_Word value = 0;
  if (GetAttr(die, name, integrate, &attr) == nullptr || dwarf_formudata(&attr, &value) != 0) {
    return std::nullopt;
  }
  return value;
}

std::optional<uint64_t> AddrAttr(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute attr;
  Dwarf_Addr value = 0;
  if (dwarf_attr(die, name, &attr) == nullptr || dwarf_formaddr(&attr, &value) != 0) {
    return std::nullopt;
  }
  return value;
}

bool FlagAttr(Dwarf_Die* die, unsigned name, bool integrate) {
  Dwarf_Attribute attr;
  bool value = false;
  if (GetAttr(die, name, integrate, &attr) == nullptr || dwarf_formflag(&attr, &value) != 0) {
    return false;
  }
  return value;
}

std::string NameAttr(Dwarf_Die* die, bool integrate) {
  Dwarf_Attribute attr;
  if (GetAttr(die, DW_AT_name, integrate, &attr) == nullptr) return {};
  const char* name = dwarf_formstring(&attr);
  return name != nullptr ? std::string(name) : std::string();
}

std::optional<Dwarf_Off> RefAttr(Dwarf_Die* die, unsigned name, bool integrate) {
  Dwarf_Attribute attr;
  Dwarf_Die target;
  if (GetAttr(die, name, integrate, &attr) == nullptr ||
      dwarf_formref_die(&attr, &target) == nullptr) {
    return std::nullopt;
  }
  return dwarf_dieoffset(&target);
}

}  // namespace gotap::dwarf
