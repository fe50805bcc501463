#include "cli/open_binary.h"

#include <nlohmann/json.hpp>

#include "base/escape.h"

namespace gotap::cli {

std::unique_ptr<gobin::Binary> OpenBinaryOrReport(const std::string& path, std::ostream& err) {
  auto binary = gobin::Binary::Open(path);
  if (!binary.ok()) {
    err << "gotap: " << EscapeForTerminal(path) << ": " << binary.status().message() << "\n";
    return nullptr;
  }
  return std::move(binary).value();
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace gotap::cli
