// The Go version of a binary whose build info was removed (`objcopy --remove-section
// .go.buildinfo`, as some release pipelines do): the runtime still holds it in the string
// variable runtime.buildVersion, which `runtime.Version()` returns.
#pragma once

#include <optional>
#include <string>

#include "base/byte_reader.h"
#include "elf/elf_file.h"

namespace gotap::gobin {

// True for what the toolchain stores in runtime.buildVersion for a release: "go1.26.5",
// "go1.22rc1", optionally followed by " X:exp,..." (a GOEXPERIMENT build).
bool LooksLikeGoReleaseVersion(std::string_view text);

// Finds runtime.buildVersion without symbols. The variable is a 16-byte Go string header in
// the writable data of the binary, pointing at "go1.…" in read-only data; every release from
// 1.13 on keeps it (runtime.schedinit writes "unknown" to it when empty, so the linker cannot
// drop it). Every 8-byte-aligned {ptr, len} pair of the writable PT_LOAD segments whose bytes
// read as a release version is a candidate (in a PIE the pointer word is a RELATIVE
// relocation's addend). One candidate is the answer; among several, the one `schedinit_code`
// (the function's bytes at `schedinit_entry`, x86-64) addresses RIP-relatively; else nullopt
// rather than a guess.
std::optional<std::string> FindRuntimeBuildVersion(const elf::ElfFile& elf,
                                                   std::optional<Bytes> schedinit_code,
                                                   uint64_t schedinit_entry);

}  // namespace gotap::gobin
