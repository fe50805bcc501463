#include "base/glob.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace gotap {

bool HasGlobMeta(std::string_view pattern) {
  return pattern.find_first_of("*?") != std::string_view::npos;
}

bool GlobMatch(std::string_view pattern, std::string_view name) {
  // Iterative matcher with one backtrack point: linear in practice, no recursion.
  size_t p = 0, n = 0;
  size_t star = std::string_view::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p, ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_n = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++star_n;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::vector<std::string> NearestNames(std::string_view query,
                                      const std::vector<std::string_view>& candidates,
                                      size_t limit) {
  // Strip glob characters: suggestions are for what the user meant to type.
  std::string plain;
  for (char c : query) {
    if (c != '*' && c != '?') plain += c;
  }
  std::string lower_query = Lower(plain);
  std::vector<std::pair<size_t, std::string_view>> scored;
  scored.reserve(candidates.size());
  for (std::string_view c : candidates) {
    bool contains = !lower_query.empty() && Lower(c).find(lower_query) != std::string::npos;
    // Compare against the name's tail of similar length, so a short query can match a long
    // package-qualified name.
    std::string_view tail = c.size() > plain.size() + 4 ? c.substr(c.size() - plain.size() - 4) : c;
    size_t distance = std::min(EditDistance(plain, c), EditDistance(plain, tail) + 2);
    scored.emplace_back(contains ? distance / 4 : distance + 8, c);
  }
  std::partial_sort(scored.begin(), scored.begin() + std::min(limit, scored.size()), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && out.size() < limit; ++i) {
    if (out.empty() || out.back() != scored[i].second) out.emplace_back(scored[i].second);
  }
  return out;
}

}  // namespace gotap
