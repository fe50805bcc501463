// Writing a goroutine snapshot: one line per goroutine (text) or one JSON object per line, then
// counts by state and by top function. Every string from the target is escaped.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "goroutines/snapshot.h"

namespace gotap::goroutines {

struct ReportOptions {
  bool json = false;
  bool stacks = false;
  std::string filter;  // empty: every goroutine
};

// True if `filter` is empty, equals the goroutine's state or status name, or is a substring of
// one of its functions (frames, start function, creator).
bool Matches(const Goroutine& g, std::string_view filter);

// "850ms", "12s", "2m3s", "1h2m".
std::string FormatDuration(int64_t ns);

struct Count {
  std::string key;
  size_t count = 0;
};
// Counts by `key(g)`, most frequent first, ties by key.
std::vector<Count> CountStates(const std::vector<const Goroutine*>& gs);
std::vector<Count> CountTopFunctions(const std::vector<const Goroutine*>& gs);

void WriteReport(const Snapshot& snapshot, const ReportOptions& options, std::ostream& out);

}  // namespace gotap::goroutines
