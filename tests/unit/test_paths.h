// Where unit tests find their inputs. Fixtures are built by the build (target go_fixtures) and
// npm binaries are fetched by scripts/setup.sh; a missing one is a test failure, not a skip.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

namespace gotap::testing {

inline std::string FixturePath(const std::string& name) {
  return std::string(GOTAP_FIXTURE_DIR) + "/" + name;
}

// `file` of `package` as cached by scripts/fetch_npm.sh, e.g. "@esbuild+linux-x64@0.24.2",
// "bin/esbuild" (scripts/npm-binaries.sha256 lists them).
inline std::string NpmPackageFile(const std::string& package, const std::string& file) {
  return std::string(GOTAP_NPM_DIR) + "/" + package + "/" + file;
}

// esbuild's binary in `package`.
inline std::string NpmBinaryPath(const std::string& package) {
  return NpmPackageFile(package, "bin/esbuild");
}

inline bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The model fixture's variants that carry a .symtab (all but the stripped one).
inline const std::vector<std::string>& UnstrippedModelVariants() {
  static const std::vector<std::string> kVariants = {"default", "noopt", "pie", "cgo", "arm64"};
  return kVariants;
}

}  // namespace gotap::testing
