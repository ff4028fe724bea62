// archer: the command-line interface (nnictl-compatible; subcommands arrive
// with the experiment manager). main() maps every failure to one line and an
// exit code.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{
      "Archer: neural architecture search (NNI classic-NAS compatible)",
      "archer"};
  app.set_version_flag("-v,--version", std::string("archer ") + ARCHER_VERSION);
  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "archer: error: " << e.what() << std::endl;
    return 1;
  }
  if (argc == 1) std::cout << app.help();
  return 0;
}
