// Golden files of the unprivileged output tests (tests/golden/): compare, or regenerate after an
// intended change of format with GOTAP_UPDATE_GOLDEN=1 (see tests/golden/README.md).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <string>

namespace gotap::testing {

// Compares `actual` with tests/golden/NAME, or rewrites the file when GOTAP_UPDATE_GOLDEN is set.
inline void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(GOTAP_SOURCE_DIR) + "/tests/golden/" + name;
  if (getenv("GOTAP_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path << " is missing: regenerate with GOTAP_UPDATE_GOLDEN=1";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str())
      << "golden " << path << " differs (GOTAP_UPDATE_GOLDEN=1 regenerates it)";
}

}  // namespace gotap::testing
