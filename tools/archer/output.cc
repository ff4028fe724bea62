#include "output.h"

#include <sys/ioctl.h>
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

int terminal_columns(int fd) {
  if (isatty(fd) != 1) return 0;
  struct winsize w {};
  if (ioctl(fd, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  const char* columns = std::getenv("COLUMNS");
  const int n = columns ? std::atoi(columns) : 0;
  return n > 0 ? n : 80;
}

std::string fit_line(const std::string& line, int columns) {
  if (columns <= 0) return line;
  size_t chars = 0, i = 0;
  for (; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if ((c & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte
    if (++chars > static_cast<size_t>(columns)) break;
  }
  if (i >= line.size()) return line;
  // Room for the ellipsis: cut back one character.
  size_t cut = i;
  do {
    --cut;
  } while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80);
  return line.substr(0, cut) + "\u2026";
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
