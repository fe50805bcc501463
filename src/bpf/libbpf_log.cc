#include "bpf/libbpf_log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace gotap::bpf {
namespace {

// Per thread: gotap serve loads programs on several threads at once.
thread_local std::string libbpf_log;
constexpr size_t kMaxLogBytes = 16 << 10;

int LibbpfPrint(libbpf_print_level level, const char* format, va_list args) {
  static const bool verbose = std::getenv("GOTAP_LIBBPF_VERBOSE") != nullptr;
  if (level == LIBBPF_DEBUG && !verbose) return 0;
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (n < 0) return 0;
  std::string text(static_cast<size_t>(n) + 1, '\0');
  std::vsnprintf(text.data(), text.size(), format, args);
  text.resize(n);
  if (verbose) std::fputs(text.c_str(), stderr);
  libbpf_log += text;
  if (libbpf_log.size() > kMaxLogBytes) libbpf_log.erase(0, libbpf_log.size() - kMaxLogBytes);
  return n;
}

}  // namespace

void ClearLibbpfLog() {
  static std::once_flag once;
  std::call_once(once, [] { libbpf_set_print(LibbpfPrint); });
  libbpf_log.clear();
}

std::string LibbpfLogTail(int lines) {
  size_t start = libbpf_log.size();
  for (int i = 0; i <= lines && start > 0; ++i) {
    start = libbpf_log.rfind('\n', start - 1);
    if (start == std::string::npos) {
      start = 0;
      break;
    }
  }
  std::string tail = libbpf_log.substr(start);
  return tail.empty() ? "" : "\nlibbpf: " + tail;
}

}  // namespace gotap::bpf
