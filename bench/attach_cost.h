// Attach and detach cost of many probe sites: plans a full trace of every function a glob
// matches (entry + every RET), then, per run, creates a BPF session, attaches all sites with one
// uprobe_multi link to a live process of the binary, detaches, and destroys the session.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace gotap::bench {

struct AttachCostOptions {
  std::string binary;
  std::string glob;
  int runs = 5;
  // The live process whose address space gets the breakpoints (it must block reading stdin).
  std::vector<std::string> target_args;
};

// Prints one JSON line for the planning ({"bench":"plan",..}) and one per run
// ({"bench":"attach","create_ms":..,"attach_ms":..,"detach_ms":..,"destroy_ms":..}).
void RunAttachCost(const AttachCostOptions& options);

}  // namespace gotap::bench
