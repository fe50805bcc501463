#include "cli/open_binary.h"

#include <nlohmann/json.hpp>

#include "base/escape.h"
#include "base/output_stream.h"
#include "cli/app.h"

namespace gotap::cli {

std::unique_ptr<gobin::Binary> OpenBinaryOrReport(const std::string& path, std::ostream& err) {
  auto binary = gobin::Binary::Open(path);
  if (!binary.ok()) {
    err << "gotap: " << EscapeForTerminal(path) << ": " << binary.status().message() << "\n";
    return nullptr;
  }
  return std::move(binary).value();
}

StatusOr<std::vector<probe::Selector>> ParseSelectors(const std::vector<std::string>& texts,
                                                      std::string_view what) {
  std::vector<probe::Selector> selectors;
  for (const std::string& text : texts) {
    auto selector = probe::ParseSelector(text);
    if (!selector.ok()) {
      return InvalidArgument("bad {} '{}': {}", what, EscapeForTerminal(text),
                             EscapeForTerminal(selector.status().message()));
    }
    selectors.push_back(std::move(selector).value());
  }
  return selectors;
}

int WrittenOrReport(std::ostream& out, std::ostream& err) {
  Status written = CheckWritten(out);
  if (written.ok()) return kExitOk;
  err << "gotap: " << EscapeForTerminal(written.message()) << "\n";
  return kExitFailure;
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace gotap::cli
