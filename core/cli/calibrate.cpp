// `coex calibrate`: fits a hardware target's latency model to measured latencies and writes a
// profile (--config ... --measurements ...), or runs a target's timing tool (--target NAME ...),
// which measures this machine and writes measurements in the same format.

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "coex/core/calibration.hpp"
#include "coex/core/config.hpp"
#include "coex/core/explorer.hpp"
#include "coex/error.hpp"
#include "coex/stats.hpp"
#include "command.hpp"
#include "format.hpp"
#include "spawn.hpp"

namespace coex::cli {

namespace fs = std::filesystem;
using namespace coex::core;

namespace {

struct Args {
  std::string target;
  std::string config;
  std::vector<std::string> sets;
  std::string measurements;
  std::string latency_column;
  std::string key_column = "arch";
  std::vector<std::string> where;  ///< COL=VALUE
  std::optional<std::size_t> fit;
  std::uint64_t seed = 0;
  std::string out;
};

int run_tool(const std::string& target, const std::vector<std::string>& args) {
  const fs::path bin = self_exe().parent_path();
  const fs::path tool = bin / ("coex-calibrate-" + target);
  if (!fs::exists(tool)) {
    std::string known;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(bin, ec)) {
      const std::string n = e.path().filename().string();
      if (n.rfind("coex-calibrate-", 0) == 0) known += " " + n.substr(15);
    }
    throw UserError("hardware target '" + target + "' has no timing tool (looked for " +
                    tool.string() + "). Targets with one:" + (known.empty() ? " none" : known) +
                    ". Any target can be fitted to measurements taken elsewhere: coex calibrate "
                    "--config CONFIG --measurements FILE.csv --latency-column COL --out FILE");
  }
  std::vector<std::string> argv{tool.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return wait_exit_code(spawn(argv));
}

void print_quality(const char* label, const PredictionQuality& q) {
  std::printf("  %-26s tau %6.3f   rho %6.3f   within 10%% %5.1f%%   MAPE %6.1f%%\n", label,
              q.kendall_tau, q.spearman_rho, 100 * q.within_10pct, 100 * q.mape);
}

int fit_profile(const Args& a, const GlobalOptions& global) {
  if (a.measurements.empty() || a.latency_column.empty() || a.out.empty())
    throw UserError(
        "coex calibrate --config needs --measurements FILE.csv, --latency-column COL and --out "
        "PROFILE.json");
  RunConfig c = load_config(a.config, a.sets);
  PluginRegistry reg(default_plugin_dirs(global.plugin_paths, c.plugin_paths), global.trust());
  PluginContext ctx = plugin_context(c, fs::temp_directory_path());
  ctx.validate_only = true;
  auto space = create_search_space(c, reg, ctx);
  // The fit starts from the declared defaults, never from a profile the config already names.
  auto target = create_hardware_target(c, reg, ctx, /*apply_profile=*/false);
  const std::vector<Coefficient> cs = target->coefficients();
  if (cs.empty())
    throw UserError(c.hardware.where + ": hardware target '" + c.hardware.plugin +
                    "' declares no calibration coefficients (HardwareTarget::coefficients()), so "
                    "it cannot be fitted");
  std::vector<std::pair<std::string, std::string>> where;
  for (const auto& w : a.where) {
    const auto eq = w.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UserError("--where '" + w + "': expected COLUMN=VALUE, e.g. --where batch=256");
    where.emplace_back(w.substr(0, eq), w.substr(eq + 1));
  }
  const Measurements m =
      read_measurements(a.measurements, a.key_column, a.latency_column, space.get(), where);
  const std::size_t n = m.keys.size();
  const std::size_t fit_n = a.fit ? *a.fit : n - n / 5;
  if (fit_n > n)
    throw UserError(a.measurements + ": --fit " + std::to_string(fit_n) + " needs " +
                    std::to_string(fit_n) + " measured networks, the file has " +
                    std::to_string(n) + ". Fix: a smaller --fit, or measure more networks");
  const auto [fit_rows, held_rows] = split_rows(n, fit_n, a.seed);
  const Point design = first_design(target->design_space());

  std::vector<LatencyModel> models;
  models.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    try {
      models.push_back(target->latency_model(m.networks[i], design));
    } catch (const InvalidCandidate& e) {
      throw UserError(a.measurements + ":" + std::to_string(m.lines[i]) + ": hardware target '" +
                      c.hardware.plugin + "' cannot map this network at its first design (" +
                      e.what() + "). Fix: remove the row, or make the config's first design one " +
                      "that runs it");
    }
  }
  std::vector<LatencyModel> fit_models;
  std::vector<double> fit_ms;
  for (std::size_t i : fit_rows) fit_models.push_back(models[i]), fit_ms.push_back(m.latency_ms[i]);
  const CoefficientFit f = fit_coefficients(cs, fit_models, fit_ms);

  // Predictions on the held-out rows (on the fitted ones when nothing is held out).
  const std::vector<std::size_t>& check = held_rows.empty() ? fit_rows : held_rows;
  const std::vector<double> defaults = default_values(cs);
  std::vector<double> measured, fitted, uncalibrated, macs;
  for (std::size_t i : check) {
    measured.push_back(m.latency_ms[i]);
    fitted.push_back(models[i](f.values));
    uncalibrated.push_back(models[i](defaults));
    macs.push_back(static_cast<double>(m.networks[i].macs()));
  }
  // The data-driven refinement, when there are enough rows and it lowers the error on a part of
  // them held back from its own fit.
  std::vector<const Network*> fit_nets;
  std::vector<double> fit_pred;
  for (std::size_t i : fit_rows)
    fit_nets.push_back(&m.networks[i]), fit_pred.push_back(models[i](f.values));
  nlohmann::json residual_report;
  const ResidualModel residual = fit_residual(fit_nets, fit_pred, fit_ms, a.seed, residual_report);
  std::vector<double> refined;
  for (std::size_t k = 0; k < check.size(); ++k)
    refined.push_back(std::max(1e-9, fitted[k] + residual.correction_ms(m.networks[check[k]])));
  const PredictionQuality q = prediction_quality(residual.empty() ? fitted : refined, measured);
  const PredictionQuality q_analytical = prediction_quality(fitted, measured);
  const PredictionQuality q0 = prediction_quality(uncalibrated, measured);
  const double macs_rho = spearman_rho(macs, measured);

  std::printf("%s: %zu networks, fitted %s's %zu coefficients on %zu (seed %llu), %s on %zu\n",
              a.measurements.c_str(), n, c.hardware.plugin.c_str(), cs.size(), fit_rows.size(),
              static_cast<unsigned long long>(a.seed),
              held_rows.empty() ? "checked (no rows held out)" : "checked", check.size());
  if (residual.empty()) {
    print_quality("calibrated:", q);
    if (fit_rows.size() < 200)
      std::printf("  model: analytical (a per-kernel residual model needs >= 200 fitted rows)\n");
    else
      std::printf(
          "  model: analytical (a per-kernel residual model did not lower the error on "
          "a fifth of the fitted rows held back; mean log error %.4f without it)\n",
          residual_report.value("analytical_error", 0.0));
  } else {
    print_quality("calibrated + residual:", q);
    print_quality("calibrated (analytical):", q_analytical);
    std::printf(
        "  model: analytical + per-kernel residual (%zu kernel signatures, ridge %g): "
        "mean log error %.4f -> %.4f on a fifth of the fitted rows held back from it\n",
        residual.ms_per_kernel.size(), residual.ridge,
        residual_report.value("analytical_error", 0.0),
        residual_report.value("validation_error", 0.0));
  }
  print_quality("declared defaults:", q0);
  std::printf("  %-26s rho %6.3f\n", "MACs alone:", macs_rho);
  std::printf("  fit: %d iterations, rms log error %.3f%s\n", f.iterations, f.rms_log_error,
              f.converged ? "" : " (iteration limit reached)");
  std::printf("  %-34s %14s %14s %9s  %s\n", "coefficient", "default", "fitted", "moved", "unit");
  for (std::size_t j = 0; j < cs.size(); ++j)
    std::printf("  %-34s %14.6g %14.6g %8.2fσ  %s\n", cs[j].name.c_str(), cs[j].value, f.values[j],
                f.shift[j], cs[j].unit.c_str());

  Profile p;
  p.target = c.hardware.plugin;
  try {
    p.target_version = reg.find(c.hardware.plugin, PluginKind::kHardwareTarget).version;
  } catch (const std::exception&) {
  }
  for (std::size_t j = 0; j < cs.size(); ++j) p.coefficients.emplace_back(cs[j].name, f.values[j]);
  // Every network's prediction by the profile (fitted coefficients, residual if chosen) next to
  // its measurement, for the run report's calibration plot.
  nlohmann::json points = nlohmann::json::array();
  {
    std::vector<bool> held(n, false);
    for (std::size_t i : held_rows) held[i] = true;
    for (std::size_t i = 0; i < n; ++i) {
      double pred = models[i](f.values);
      if (!residual.empty()) pred = std::max(1e-9, pred + residual.correction_ms(m.networks[i]));
      points.push_back({{"key", m.keys[i]},
                        {"measured_ms", m.latency_ms[i]},
                        {"predicted_ms", pred},
                        {"held_out", held[i]}});
    }
  }
  p.fit = {{"measurements", fs::absolute(a.measurements).string()},
           {"key_column", a.key_column},
           {"latency_column", a.latency_column},
           {"where", a.where},
           {"config", fs::absolute(a.config).string()},
           {"design", target->design_space().describe(design)},
           {"networks", n},
           {"fitted_on", fit_rows.size()},
           {"seed", a.seed},
           {"rms_log_error", f.rms_log_error},
           {"iterations", f.iterations},
           {"checked_on", held_rows.empty() ? "fitted rows" : "held-out rows"},
           {"calibrated", q.to_json()},
           {"analytical", q_analytical.to_json()},
           {"model", residual.empty() ? "analytical" : "analytical+residual"},
           {"residual_selection", residual_report},
           {"declared_defaults", q0.to_json()},
           {"macs_spearman_rho", macs_rho},
           {"points", points}};
  p.residual = residual;
  write_profile(a.out, p);
  std::printf("profile written to %s (use it with [hardware.options] profile = \"%s\")\n",
              a.out.c_str(), a.out.c_str());
  return 0;
}

}  // namespace

Command add_calibrate(CLI::App& app, const GlobalOptions& global) {
  auto a = std::make_shared<Args>();
  auto* cal = app.add_subcommand(
      "calibrate",
      "Fit a hardware target's latency model to measured latencies (writes a profile), or time "
      "this machine with a target's timing tool");
  cal->add_option("--config", a->config,
                  "Config whose [hardware] is the target to fit (its design space narrowed to the "
                  "measured deployment) and whose [search_space] parses the network names");
  cal->add_option("--set", a->sets, "Override a config key: key.path=value");
  cal->add_option("--measurements", a->measurements,
                  "CSV of measured latencies: a header row, one network per row");
  cal->add_option("--latency-column", a->latency_column,
                  "Column of the measured latency, milliseconds per forward pass");
  cal->add_option("--key-column", a->key_column,
                  "Column naming each network: a search-space description, or the path of an IR "
                  ".json file relative to the CSV")
      ->capture_default_str();
  cal->add_option("--where", a->where,
                  "Read only rows whose COLUMN equals VALUE (COLUMN=VALUE, repeatable), e.g. one "
                  "precision and batch of a file of several deployments");
  cal->add_option("--fit", a->fit,
                  "Networks to fit on, drawn with --seed (default: all but a held-out fifth); the "
                  "others check the fit");
  cal->add_option("--seed", a->seed, "Seed of the draw of fitted networks")->capture_default_str();
  cal->add_option("--out", a->out, "Profile to write (JSON)");
  cal->add_option("--target", a->target,
                  "Instead of fitting: run this target's timing tool (e.g. raspberry_pi); further "
                  "options go to the tool (see its README)");
  cal->allow_extras();
  return {
      cal, [a, cal, &global] {
        if (!a->target.empty()) {
          if (!a->config.empty())
            throw UserError(
                "coex calibrate: give --target (time this machine) or --config "
                "(fit measurements), not both");
          // The options this command shares with the tools (--out, --seed, ...) were parsed
          // here; hand them on with the rest.
          std::vector<std::string> args;
          for (const char* name : {"--measurements", "--latency-column", "--key-column", "--where",
                                   "--fit", "--seed", "--out", "--set"}) {
            const CLI::Option* o = cal->get_option(name);
            if (o->count() == 0) continue;
            for (const auto& v : o->results()) args.insert(args.end(), {name, v});
          }
          for (const auto& r : cal->remaining()) args.push_back(r);
          return run_tool(a->target, args);
        }
        if (a->config.empty())
          throw UserError(
              "coex calibrate needs --config CONFIG --measurements FILE.csv --latency-column "
              "COL --out PROFILE.json (fit), or --target NAME (time this machine)");
        if (!cal->remaining().empty())
          throw UserError("coex calibrate: unknown argument '" + cal->remaining().front() + "'");
        return fit_profile(*a, global);
      }};
}

}  // namespace coex::cli
