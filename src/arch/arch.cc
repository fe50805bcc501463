#include "arch/arch.h"

namespace gotap::arch {

const char* ArchName(Arch arch) {
  switch (arch) {
    case Arch::kX86_64:
      return "x86_64";
    case Arch::kArm64:
      return "aarch64";
  }
  return "unknown";
}

}  // namespace gotap::arch
