// Shell-style matching for Go function names: `*` matches any run of characters (including
// `.` and `/`), `?` one character; everything else, `[` `]` `(` `)` included, is literal, since
// Go names contain brackets (generics) and parentheses (methods).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gotap {

bool GlobMatch(std::string_view pattern, std::string_view name);
bool HasGlobMeta(std::string_view pattern);

// Up to `limit` candidates closest to `query` (case-insensitive edit distance, with names that
// contain the query as a substring ranked first). For "did you mean" suggestions.
std::vector<std::string> NearestNames(std::string_view query,
                                      const std::vector<std::string_view>& candidates,
                                      size_t limit = 3);

}  // namespace gotap
