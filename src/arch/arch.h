// The instruction-set architectures gotap analyzes.
#pragma once

namespace gotap::arch {

enum class Arch { kX86_64, kArm64 };

// "x86_64" or "aarch64" (the names uname(2) and ELF tools use).
const char* ArchName(Arch arch);

}  // namespace gotap::arch
