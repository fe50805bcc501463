// The switch that turns off every per-Go-version table gotap keeps (the goid offset, the
// runtime.g/runtime.m layout). The tables are a cross-check of what is read from the binary
// itself; with them off, every such fact must come from DWARF, the runtime's type data or its
// code, which is how tests prove those paths work on every Go release.
#pragma once

namespace gotap::gobin {

// True iff the environment sets GOTAP_NO_VERSION_TABLES to a value other than "" and "0".
// Read on every call (cheap), so tests may set it per case.
bool VersionTablesDisabled();

}  // namespace gotap::gobin
