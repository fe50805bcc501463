#include "gobin/version_tables.h"

#include <cstdlib>
#include <cstring>

namespace gotap::gobin {

bool VersionTablesDisabled() {
  const char* v = std::getenv("GOTAP_NO_VERSION_TABLES");
  return v != nullptr && v[0] != '\0' && std::strcmp(v, "0") != 0;
}

}  // namespace gotap::gobin
