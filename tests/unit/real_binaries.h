// Real x86-64 Go binaries for tests that sweep every function: the Go 1.19 and 1.27 model
// fixtures and stripped third-party releases built by Go 1.16 to 1.27 (esbuild, lefthook), with
// a name for test names.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "test_paths.h"

namespace gotap::testing {

struct RealBinary {
  std::string name;  // for test names: model_go119, esbuild_0_24_2_go123, ...
  std::string path;
};
inline void PrintTo(const RealBinary& binary, std::ostream* os) { *os << binary.path; }

inline std::vector<RealBinary> RealX86Binaries() {
  return {
      {"model_go119", FixturePath("model.default")},
      {"model_go127", FixturePath("model-go1.27.default")},
      {"mixed_go127", FixturePath("mixed-go1.27.default")},
      {"esbuild_0_8_57_go116", NpmBinaryPath("esbuild-linux-64@0.8.57")},
      {"esbuild_0_14_54_go119", NpmBinaryPath("esbuild-linux-64@0.14.54")},
      {"esbuild_0_20_2_go120", NpmBinaryPath("@esbuild+linux-x64@0.20.2")},
      {"esbuild_0_24_2_go123", NpmBinaryPath("@esbuild+linux-x64@0.24.2")},
      {"esbuild_0_28_2_go126", NpmBinaryPath("@esbuild+linux-x64@0.28.2")},
      {"lefthook_2_2_4_go127", NpmPackageFile("lefthook-linux-x64@2.2.4", "bin/lefthook")},
  };
}

}  // namespace gotap::testing
