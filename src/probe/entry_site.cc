#include "probe/entry_site.h"

namespace gotap::probe {

EntrySite CheapEntrySite(const arch::CodeAnalysis& a) {
  if (a.stack_check_branch && a.entry_probe_mnemonic != "push") {
    return {*a.stack_check_branch, true};
  }
  return {a.entry_probe, false};
}

}  // namespace gotap::probe
