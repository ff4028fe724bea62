#include "output.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

namespace archer {
namespace cli {

bool color_enabled(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0) return false;
  return isatty(fd) == 1;
}

std::string status_cell(const std::string& status, int width, bool color) {
  std::string cell = status;
  if (static_cast<int>(cell.size()) < width)
    cell.append(static_cast<size_t>(width) - cell.size(), ' ');
  if (!color) return cell;
  const char* code = nullptr;
  if (status == "SUCCEEDED" || status == "DONE") {
    code = "32";
  } else if (status == "FAILED" || status == "ERROR" || status == "MISSING" ||
             status == "SYS_CANCELED") {
    code = "31";
  } else if (status == "EARLY_STOPPED" || status == "USER_CANCELED" ||
             status == "STOPPED" || status == "NO_MORE_TRIAL") {
    code = "33";
  } else if (status == "RUNNING" || status == "WAITING" || status == "VIEWED") {
    code = "36";
  }
  if (!code) return cell;
  // The padding stays outside the escapes, so columns line up.
  return std::string("\033[") + code + "m" + status + "\033[0m" +
         cell.substr(status.size());
}

std::string error_prefix(bool color) {
  return color ? "\033[1;31marcher: error:\033[0m " : "archer: error: ";
}

void print_json(const Json& value) {
  std::cout << dumps(value, DumpOptions{2, false}) << std::endl;
}

void notice(const std::string& line) { std::cerr << line << std::endl; }

Json metric_json(const std::string& text) {
  if (text.empty()) return Json();
  auto parsed = parse_json(text, "metric");
  return parsed.is_ok() ? parsed.value() : Json(text);
}

}  // namespace cli
}  // namespace archer
