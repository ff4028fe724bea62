// archer update concurrency|trialnum|duration|searchspace [ID]: change a
// running experiment through its manager (PUT /experiment?update_type=...).
#include <iostream>

#include "archer/search_space.h"
#include "commands.h"
#include "manager/update_table.h"
#include "manager_client.h"

namespace archer {
namespace cli {

namespace {

int update(const std::string& id, const std::string& working,
           const std::string& type, const Json& value,
           const std::string& what) {
  ManagerEndpoint m = running_manager(id, working);
  call_manager(m, "PUT", "/experiment?update_type=" + type,
               dumps(Json{{"value", value}}));
  std::cerr << "Experiment " << m.id << ": " << what << std::endl;
  return 0;
}

}  // namespace

void add_update(CLI::App& app, Action& run) {
  auto* upd = app.add_subcommand("update", "change a running experiment");
  upd->require_subcommand(1);
  auto working = std::make_shared<std::string>(default_working_dir());
  for (const UpdateKind& spec : update_kinds()) {
    if (!spec.cli) continue;  // the search space: below (a file)
    auto* cmd = upd->add_subcommand(spec.cli, spec.help);
    auto id = std::make_shared<std::string>();
    auto value = std::make_shared<std::string>();
    cmd->add_option("id", *id, "experiment id (default: the only running one)");
    cmd->add_option("-v,--value", *value, "the new value")->required();
    cmd->add_option("-e,--experiment_working_directory", *working,
                    "where experiments live")
        ->capture_default_str();
    const std::string type = spec.type, key = spec.keys.front();
    cmd->callback([&run, id, value, working, type, key] {
      run = [id, value, working, type, key] {
        // Numbers go as numbers; "2h" stays a string (the manager checks).
        Json v = *value;
        auto parsed = parse_json(*value, "--value");
        if (parsed.is_ok() && parsed.value().is_number()) v = parsed.value();
        return update(*id, *working, type, v, key + " = " + *value);
      };
    });
  }
  auto* ss =
      upd->add_subcommand("searchspace", find_update("SEARCH_SPACE")->help);
  auto id = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  ss->add_option("id", *id, "experiment id (default: the only running one)");
  ss->add_option("-f,--filename", *file, "the new search space (JSON)")
      ->required();
  ss->add_option("-e,--experiment_working_directory", *working,
                 "where experiments live")
      ->capture_default_str();
  ss->callback([&run, id, file, working] {
    run = [id, file, working] {
      // Checked by the manager, against its tuner (Archer's own search
      // classic NAS; NNI's, every NNI type).
      auto space = load_json_file(*file);
      if (!space.is_ok()) throw Error(space.status().message());
      if (!space.value().is_object())
        throw Error(*file + ": expected a search space mapping");
      return update(*id, *working, "SEARCH_SPACE", space.value(),
                    "search space from " + *file + " (" +
                        std::to_string(space.value().size()) + " entries)");
    };
  });
}

}  // namespace cli
}  // namespace archer
