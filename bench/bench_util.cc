#include "bench_util.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace archer {
namespace bench {

Status update_markdown_section(const std::string& path, const std::string& name,
                               const std::string& content) {
  std::string text;
  {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  const std::string begin = "<!-- BEGIN " + name + " -->";
  const std::string end = "<!-- END " + name + " -->";
  const std::string section =
      begin + "\n" + content +
      (content.empty() || content.back() == '\n' ? "" : "\n") + end;
  size_t b = text.find(begin);
  size_t e = text.find(end);
  if (b != std::string::npos && e != std::string::npos && e > b) {
    text.replace(b, e + end.size() - b, section);
  } else {
    if (text.empty()) text = "# Benchmarks\n";
    text += "\n" + section + "\n";
  }
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) return Status::io_error(path + ": cannot write");
  return Status::ok();
}

double mean(const std::vector<double>& values) {
  double s = 0;
  for (double v : values) s += v;
  return values.empty() ? 0 : s / static_cast<double>(values.size());
}

double variance(const std::vector<double>& values) {
  if (values.size() < 2) return NAN;
  const double m = mean(values);
  double var = 0;
  for (double v : values) var += (v - m) * (v - m);
  return var / static_cast<double>(values.size() - 1);
}

std::string mean_std(const std::vector<double>& values, int digits) {
  const double m = mean(values);
  const double sd = values.size() > 1 ? std::sqrt(variance(values)) : 0;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f±%.*f", digits, m, digits, sd);
  return buf;
}

std::string machine_line() {
  std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof(date), "%Y-%m-%d", std::gmtime(&now));
  return std::string("Measured ") + date + " on this project's machine (" +
         std::to_string(std::thread::hardware_concurrency()) + " cores).";
}

void publish(const std::string& docs_dir, const std::string& section,
             const std::string& markdown, bool write) {
  std::cout << markdown;
  if (!write) return;
  Status st =
      update_markdown_section(docs_dir + "/benchmarks.md", section, markdown);
  if (!st.is_ok()) throw std::runtime_error(st.message());
}

int guarded_main(const char* program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << std::endl;
    return 1;
  }
}

std::string difference(const std::vector<double>& a,
                       const std::vector<double>& b) {
  const double d = mean(a) - mean(b);
  const double se = std::sqrt(variance(a) / static_cast<double>(a.size()) +
                              variance(b) / static_cast<double>(b.size()));
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%+.2f±%.2f", d, se);
  return buf;
}

}  // namespace bench
}  // namespace archer
