// seed_maker's interface-walk seeds: blobs in the format the BPF program writes for an
// interface value (bpf/iface_intf.h), each prefixed by iface_fuzzer's option byte — errors,
// context chains of several Go releases, plain values, and walks cut short.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "seed_maker/go_tables.h"

namespace gotap::seeds {

// (file name, contents) of every seed.
std::vector<std::pair<std::string, ByteVector>> IfaceSeeds();

}  // namespace gotap::seeds
