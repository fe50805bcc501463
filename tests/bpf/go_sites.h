// Probe sites for the BPF layer's tests, from gotap's own Go binary model (gobin::Binary and its
// disassembly): the BPF layer itself takes only file offsets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace gotap::bpf::testing {

// Sites of one Go function, as FILE offsets into the binary (what uprobes take).
struct FunctionSites {
  uint64_t entry = 0;        // the first instruction
  uint64_t stack_check = 0;  // the conditional jump of the stack check; == entry for leaves
  uint64_t after_check = 0;  // the first instruction after the stack check; fires once per call
  uint64_t morestack = 0;    // the morestack block's first instruction; 0 for leaves
  std::vector<uint64_t> returns;  // every RET
};

// The sites of function `name` (the real body, not a wrapper).
StatusOr<FunctionSites> FindFunctionSites(const std::string& binary, const std::string& name);

// Entries (file offsets) of up to `limit` functions, in address order.
StatusOr<std::vector<uint64_t>> FunctionEntries(const std::string& binary, size_t limit);

// File offsets of up to `limit` instructions of compiled Go code (no assembly), in address
// order, none of them an instruction uprobes refuse: valid uprobe sites for attach tests.
StatusOr<std::vector<uint64_t>> InstructionOffsets(const std::string& binary, size_t limit);

// Converts a link-time vaddr to a file offset through the PT_LOAD program headers.
StatusOr<uint64_t> VaddrToFileOffset(const std::string& binary, uint64_t vaddr);

}  // namespace gotap::bpf::testing
