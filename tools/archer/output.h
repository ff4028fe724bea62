// How the CLI writes: data (tables, JSON) on stdout, messages (notices,
// confirmations, warnings, errors) on stderr; colour only on a terminal and
// never when NO_COLOR is set (https://no-color.org) or TERM is "dumb".
#ifndef ARCHER_TOOLS_ARCHER_OUTPUT_H_
#define ARCHER_TOOLS_ARCHER_OUTPUT_H_

#include <string>

#include "archer/json.h"

namespace archer {
namespace cli {

// Whether text written to `fd` may be coloured.
bool color_enabled(int fd);
// `status` (a trial or experiment status name) padded to `width`, coloured
// by what it means (green SUCCEEDED/DONE, red FAILED/ERROR/MISSING, yellow
// the others that ended early, cyan RUNNING) when `color`.
std::string status_cell(const std::string& status, int width, bool color);
// The width of the terminal `fd` writes to (its window, else $COLUMNS); 0 when
// `fd` is not a terminal (a pipe: lines are not cut).
int terminal_columns(int fd);
// `line` cut to `columns` characters (UTF-8 aware) with a final "…" when
// longer; unchanged when `columns` is 0.
std::string fit_line(const std::string& line, int columns);
// `text` in bold red when `color` ("archer: error:").
std::string error_prefix(bool color);
// `value` on stdout, indented by 2, with a newline (the --json forms).
void print_json(const Json& value);
// A message line on stderr.
void notice(const std::string& line);
// The JSON of a metric's text (a trial's FINAL or last intermediate value):
// parsed when it is JSON, else the text itself; null for "".
Json metric_json(const std::string& text);

}  // namespace cli
}  // namespace archer

#endif  // ARCHER_TOOLS_ARCHER_OUTPUT_H_
