// `coex calibrate --target NAME ARGS...`: runs the target's calibration tool.
#include "calibrate.hpp"

#include <filesystem>
#include <memory>

#include "coex/error.hpp"
#include "command.hpp"
#include "spawn.hpp"

namespace coex::cli {

namespace fs = std::filesystem;

int calibrate(const std::string& target, const std::vector<std::string>& args) {
  const fs::path bin = self_exe().parent_path();
  const fs::path tool = bin / ("coex-calibrate-" + target);
  if (!fs::exists(tool)) {
    std::string known;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(bin, ec)) {
      const std::string n = e.path().filename().string();
      if (n.rfind("coex-calibrate-", 0) == 0) known += " " + n.substr(15);
    }
    throw UserError("hardware target '" + target + "' has no calibration tool (looked for " +
                    tool.string() + "). Targets with one:" + (known.empty() ? " none" : known));
  }
  std::vector<std::string> argv{tool.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return wait_exit_code(spawn(argv));
}

Command add_calibrate(CLI::App& app) {
  auto target = std::make_shared<std::string>();
  auto* cal = app.add_subcommand(
      "calibrate", "Measure this machine and fit a hardware target's model (writes a profile)");
  cal->add_option("--target", *target, "Hardware target to calibrate, e.g. raspberry_pi")
      ->required();
  cal->allow_extras();
  cal->footer("Further options go to the target's calibration tool (see its README).");
  return {cal, [target, cal] { return calibrate(*target, cal->remaining()); }};
}

}  // namespace coex::cli
