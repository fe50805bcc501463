// Escaping of untrusted strings (from a target binary or process) for terminal and JSON output.
#pragma once

#include <string>
#include <string_view>

namespace gotap {

// Go-style quoted form without the quotes: printable ASCII stays, \" \\ \n \t \r are escaped,
// valid UTF-8 multi-byte sequences are kept, every other byte becomes \xHH. Never emits control
// characters, so the result is safe to print on a terminal.
std::string EscapeForTerminal(std::string_view raw);

}  // namespace gotap
