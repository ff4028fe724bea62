// Helpers shared by the benchmark programs.
#ifndef ARCHER_BENCH_BENCH_UTIL_H_
#define ARCHER_BENCH_BENCH_UTIL_H_

#include <functional>
#include <string>
#include <vector>

#include "archer/status.h"

namespace archer {
namespace bench {

// Replaces the text between "<!-- BEGIN name -->" and "<!-- END name -->" in
// the markdown file at `path` (appending the section if it is missing; creating
// the file if needed).
Status update_markdown_section(const std::string& path, const std::string& name,
                               const std::string& content);

// Prints `markdown` and, with `write`, puts it in `docs_dir`/benchmarks.md
// as section `section`. Throws std::runtime_error when it cannot.
void publish(const std::string& docs_dir, const std::string& section,
             const std::string& markdown, bool write);

// A benchmark's main(): `body`'s exit status, or 1 with "<program>: <what>"
// on stderr when it throws.
int guarded_main(const char* program, const std::function<int()>& body);

// "mean ± std" of `values` with `digits` decimals.
std::string mean_std(const std::vector<double>& values, int digits = 2);
double mean(const std::vector<double>& values);
// The sample variance (n - 1 in the denominator); NaN for fewer than two.
double variance(const std::vector<double>& values);

// "+0.31±0.04": the difference of the means of independent samples and its
// standard error.
std::string difference(const std::vector<double>& a,
                       const std::vector<double>& b);

// A one-line description of this machine and the date, for the benchmark
// tables.
std::string machine_line();

}  // namespace bench
}  // namespace archer

#endif  // ARCHER_BENCH_BENCH_UTIL_H_
