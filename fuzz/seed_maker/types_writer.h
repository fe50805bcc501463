// seed_maker's runtime-type seeds for rtype_fuzzer: a small ELF image holding only the bytes
// gobin::RuntimeTypes reads for a few dozen types of a real Go binary — descriptors, their
// names, pointees, struct field arrays and field names — each run of bytes as its own PT_LOAD
// segment at its real link-time vaddr, plus a .typelink section naming those types and a
// .rodata NOBITS section header spanning [types, etypes) (where rtype_fuzzer takes the types
// base from when the image is not a whole Go binary).
#pragma once

#include <optional>
#include <string>

#include "seed_maker/go_tables.h"

namespace gotap::seeds {

// nullopt if `path` is not a 64-bit little-endian ELF executable with .rodata and .typelink
// (Go writes types at the start of .rodata in non-PIE binaries). `varint_names`: Go >= 1.17
// name encoding; rtype_fuzzer reads the image's last byte to choose it (even: varint).
std::optional<ByteVector> WriteTypesSeed(const std::string& path, bool varint_names);

}  // namespace gotap::seeds
