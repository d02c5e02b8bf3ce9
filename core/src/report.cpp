#include "coex/core/report.hpp"

#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <regex>

#include "coex/core/pareto.hpp"
#include "coex/core/store.hpp"
#include "coex/error.hpp"
#include "coex/io.hpp"
#include "coex/network.hpp"

namespace coex::core {

namespace assets {
extern const std::string_view kReportJs;
extern const std::string_view kReportCss;
extern const std::string_view kChartJs;
}  // namespace assets

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string now_utc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

/// JSON text safe inside <script>: "</" (which could close the element) and the two line
/// separators JavaScript once treated as newlines are escaped.
std::string script_safe(const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(s.size() + 64);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) switch (c) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  return o;
}

/// The page: styles, the chart library, the data, the page code; nothing outside the file.
std::string page(const std::string& title, const json& data) {
  std::string h;
  h.reserve(assets::kChartJs.size() + assets::kReportJs.size() + (std::size_t{1} << 20));
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // No request may leave the file: the policy forbids any source but the page itself.
  h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n";
  h += "<title>" + html_escape(title) + "</title>\n<style>\n";
  h += assets::kReportCss;
  h += "</style>\n<script>\n";
  h += assets::kChartJs;
  h += "\n</script>\n<script id=\"coex-data\" type=\"application/json\">";
  h += script_safe(data);
  h += "</script>\n</head>\n<body>\n<div id=\"app\"></div>\n<script>\n";
  h += assets::kReportJs;
  h += "\n</script>\n</body>\n</html>\n";
  return h;
}

/// Interned strings: descriptions and summaries repeat across candidates.
class Strings {
 public:
  std::size_t id(const std::string& s) {
    auto [it, fresh] = ids_.emplace(s, list_.size());
    if (fresh) list_.push_back(s);
    return it->second;
  }
  json to_json() const { return list_; }

 private:
  std::map<std::string, std::size_t> ids_;
  std::vector<std::string> list_;
};

/// A pruning reason without its numbers, so that the funnel groups "latency_ms = 12.3 violates
/// latency_ms <= 10" with "latency_ms = 48 violates latency_ms <= 10".
std::string reason_class(const std::string& reason) {
  static const std::regex number(R"([-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?)");
  std::string s = std::regex_replace(reason, number, "#");
  if (s.size() > 120) s = s.substr(0, 117) + "...";
  return s;
}

json run_data(const Store& store, const std::string& fallback_name, const HardwareTarget* target) {
  const std::vector<CandidateRecord> records = store.load_all();
  const std::vector<std::size_t> pareto = pareto_of(records);
  json ctx = json::object();
  if (auto c = store.meta("report_context")) {
    try {
      ctx = json::parse(*c);
    } catch (const std::exception&) {
      ctx = json::object();
    }
  }
  if (!ctx.contains("name")) ctx["name"] = store.meta("name").value_or(fallback_name);
  if (!ctx.contains("seed")) ctx["seed"] = store.meta("seed").value_or("?");

  Strings strings;
  json seq = json::array(), status = json::array(), reason = json::array(),
       accuracy = json::array(), reward = json::array(), t = json::array(), desc = json::array(),
       net = json::array(), hw = json::array(), cached = json::array(), trained = json::array();
  std::map<std::string, json> metric_cols;
  std::vector<std::string> metric_names;
  double fast_s = 0, slow_s = 0;
  std::map<std::string, std::size_t> counts;
  std::map<std::string, std::size_t> pruned_by;
  std::size_t n_trained = 0, n_cached = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const CandidateRecord& r = records[i];
    const Outcome& o = r.outcome;
    seq.push_back(r.seq);
    status.push_back(status_name(o.status));
    reason.push_back(strings.id(o.reason));
    accuracy.push_back(o.accuracy ? json(*o.accuracy) : json());
    reward.push_back(o.reward);
    t.push_back(r.committed_s);
    desc.push_back(strings.id(r.description));
    net.push_back(strings.id(r.network_summary));
    hw.push_back(strings.id(r.hardware_summary));
    cached.push_back(o.cached ? 1 : 0);
    trained.push_back(r.trained ? 1 : 0);
    fast_s += r.fast_seconds;
    slow_s += r.slow_seconds;
    ++counts[status_name(o.status)];
    if (o.status == CandidateStatus::kPruned) ++pruned_by[reason_class(o.reason)];
    if (o.status == CandidateStatus::kEvaluated) (o.cached ? n_cached : n_trained) += 1;
    for (const auto& [name, value] : o.metrics.items()) {
      auto it = metric_cols.find(name);
      if (it == metric_cols.end()) {
        it = metric_cols.emplace(name, json(std::vector<json>(i, json()))).first;
        metric_names.push_back(name);
      }
      it->second.push_back(value);
    }
    for (auto& [name, col] : metric_cols)
      if (col.size() < i + 1) col.push_back(json());
  }
  json metrics = json::object();
  for (const auto& n : metric_names) metrics[n] = metric_cols[n];

  // The best pair: the evaluated candidate of highest reward (the first such, as the terminal
  // summary picks it).
  json best = nullptr;
  const CandidateRecord* b = best_candidate(records);
  if (b) {
    best = {
        {"seq", b->seq},
        {"description", b->description},
        {"network_summary", b->network_summary},
        {"hardware_summary", b->hardware_summary},
        {"hardware_detail", b->hardware_detail},
        {"hardware_point", b->hardware_point},
        {"network", b->network_json.empty() ? json() : json::parse(b->network_json)},
        {"breakdown", nullptr},
        {"breakdown_note", target ? "" : "no breakdown: the run's hardware target was not loaded"}};
    if (target && !b->network_json.empty()) {
      try {
        const Network n = Network::from_json(json::parse(b->network_json));
        // The design as the target described it when the run chose it.
        HardwareResult chosen;
        chosen.design = b->hardware_point;
        chosen.detail = b->hardware_detail;
        chosen.metrics = b->outcome.metrics;
        chosen.summary = b->hardware_summary;
        chosen.feasible = true;
        const Breakdown bd = target->breakdown(n, chosen);
        if (bd.empty())
          best["breakdown_note"] = "the hardware target gives no breakdown";
        else
          best["breakdown"] = bd.to_json();
      } catch (const std::exception& e) {
        best["breakdown_note"] = std::string("no breakdown: ") + e.what();
      }
    }
  }

  // Calibration: the profile's predicted and measured latencies, when the run used one.
  json calibration = nullptr;
  if (ctx.contains("profile") && ctx["profile"].is_string()) {
    const fs::path prof = ctx["profile"].get<std::string>();
    std::ifstream in(prof);
    if (in) {
      try {
        const json p = json::parse(in);
        const json& fit = p.at("fit");
        calibration = {{"profile", prof.string()},
                       {"points", fit.value("points", json::array())},
                       {"calibrated", fit.value("calibrated", json::object())},
                       {"declared_defaults", fit.value("declared_defaults", json::object())},
                       {"checked_on", fit.value("checked_on", "")}};
      } catch (const std::exception& e) {
        calibration = {{"error", std::string("cannot read ") + prof.string() + ": " + e.what()}};
      }
    } else {
      calibration = {{"error", "the profile " + prof.string() + " is no longer there"}};
    }
  }

  json funnel = {{"proposed", records.size()},
                 {"invalid", counts["invalid"]},
                 {"pruned", counts["pruned"]},
                 {"pruned_by", pruned_by},
                 {"evaluated", counts["evaluated"]},
                 {"trained", n_trained},
                 {"cached", n_cached},
                 {"failed", counts["failed"]}};
  return {{"kind", "run"},
          {"generated", now_utc()},
          {"context", ctx},
          {"counts", counts},
          {"fast_s", fast_s},
          {"slow_s", slow_s},
          {"funnel", funnel},
          {"pareto", pareto},
          {"strings", strings.to_json()},
          {"cols",
           {{"seq", seq},
            {"status", status},
            {"reason", reason},
            {"accuracy", accuracy},
            {"reward", reward},
            {"t", t},
            {"desc", desc},
            {"net", net},
            {"hw", hw},
            {"cached", cached},
            {"trained", trained}}},
          {"metrics", metrics},
          {"best", best},
          {"calibration", calibration}};
}

}  // namespace

json report_context(const RunConfig& c, const PluginRegistry& registry,
                    const HardwareTarget& target) {
  json plugins = json::array();
  auto add = [&](const char* kind, const PluginSelection& s, PluginKind k) {
    std::string version;
    try {
      version = registry.find(s.plugin, k).version;
    } catch (const std::exception&) {
    }
    plugins.push_back({{"kind", kind}, {"name", s.plugin}, {"version", version}});
  };
  add("search space", c.search_space, PluginKind::kSearchSpace);
  add("hardware target", c.hardware, PluginKind::kHardwareTarget);
  add("controller", c.controller, PluginKind::kController);
  add("estimator", c.estimator, PluginKind::kAccuracyEstimator);
  json metrics = json::array();
  for (const auto& m : target.metrics())
    metrics.push_back({{"name", m.name},
                       {"unit", m.unit},
                       {"minimize", m.direction == Direction::kMinimize},
                       {"doc", m.doc}});
  json specs = json::array();
  for (const auto& s : c.specs.items())
    specs.push_back({{"metric", s.metric},
                     {"op", s.op == Spec::Op::kLessEqual ? "<=" : ">="},
                     {"bound", s.bound},
                     {"text", s.to_string()}});
  json ctx = {{"name", c.name},
              {"seed", std::to_string(c.seed)},
              {"config", c.file.string()},
              {"plugins", plugins},
              {"metrics", metrics},
              {"objectives", c.objectives},
              {"specs", specs},
              {"budget",
               {{"candidates", c.budget.candidates},
                {"trainings", c.budget.trainings},
                {"seconds", c.budget.seconds}}},
              {"hardware_mode", c.hardware_mode == HardwareMode::kTuned ? "tuned" : "searched"}};
  if (c.hardware.options.contains("profile") && c.hardware.options["profile"].is_string()) {
    fs::path p = c.hardware.options["profile"].get<std::string>();
    if (p.is_relative()) p = fs::absolute(c.file).parent_path() / p;
    ctx["profile"] = p.lexically_normal().string();
  }
  return ctx;
}

json comparison_json(const Comparison& c, const ComparisonSetup& setup,
                     const std::vector<RunTrace>& runs) {
  json controllers = json::array();
  for (const auto& s : c.controllers) {
    json curve = json::array();
    for (const auto& p : s.curve) curve.push_back({p.median, p.q1, p.q3});
    controllers.push_back({{"controller", s.controller},
                           {"runs", s.runs},
                           {"curve", curve},
                           {"final_best", s.final_best},
                           {"hypervolume", s.hypervolume},
                           {"met_specs", s.met_specs},
                           {"to_target", s.to_target}});
  }
  json pairs = json::array();
  for (const auto& p : c.pairs)
    pairs.push_back({{"a", p.a}, {"b", p.b}, {"u", p.test.u1}, {"p", p.test.p}});
  json specs = json::array();
  for (const auto& s : setup.specs.items()) specs.push_back(s.to_string());
  json seeds = json::array();
  for (const auto& r : runs) seeds.push_back({{"controller", r.controller}, {"seed", r.seed}});
  return {{"format", "coex-comparison/1"},
          {"steps", c.steps},
          {"target", c.target},
          {"objectives", setup.objective_names},
          {"specs", specs},
          {"controllers", controllers},
          {"pairs", pairs},
          {"runs", seeds}};
}

ReportKind report_kind(const fs::path& dir) {
  if (fs::is_regular_file(dir / "coex.db") || fs::is_regular_file(dir / "storage.url"))
    return ReportKind::kRun;
  if (fs::is_regular_file(dir / "compare.json")) return ReportKind::kComparison;
  if (!fs::is_directory(dir))
    throw UserError(dir.string() + " is not a directory. Fix: give a run directory (coex run " +
                    "--out) or a comparison directory (coex compare --out)");
  if (fs::is_regular_file(dir / "compare.csv"))
    throw UserError(dir.string() +
                    " is a comparison made before reports existed (no compare.json). Fix: rerun "
                    "the same `coex compare` command: finished runs are kept, and it writes "
                    "compare.json and report.html");
  throw UserError(dir.string() +
                  " is neither a coex run (no coex.db) nor a comparison (no compare.json). Fix: "
                  "give the directory of `coex run --out` or `coex compare --out`");
}

std::string run_report_html(const fs::path& run_dir, const HardwareTarget* target) {
  return run_report_html(*open_run_store(run_dir), run_dir.filename().string(), target);
}

std::string run_report_html(const Store& store, const std::string& fallback_name,
                            const HardwareTarget* target) {
  const json data = run_data(store, fallback_name, target);
  return page("coex run " + data["context"].value("name", std::string("?")), data);
}

std::string comparison_report_html(const fs::path& dir) {
  const fs::path file = dir / "compare.json";
  std::ifstream in(file);
  if (!in) throw UserError("cannot read " + file.string() + ". Fix: rerun `coex compare`");
  json c;
  try {
    c = json::parse(in);
    if (c.value("format", "") != "coex-comparison/1") throw Error("unknown format");
  } catch (const std::exception& e) {
    throw UserError(file.string() + " is not a coex comparison (" + e.what() +
                    "). Fix: rerun the `coex compare` command that made the directory");
  }
  json data = {{"kind", "comparison"},
               {"generated", now_utc()},
               {"name", dir.filename().string()},
               {"comparison", c}};
  return page("coex comparison " + dir.filename().string(), data);
}

fs::path write_report(const fs::path& dir, const fs::path& out, const HardwareTarget* target) {
  const ReportKind kind = report_kind(dir);
  const fs::path file = out.empty() ? dir / "report.html" : out;
  const std::string html =
      kind == ReportKind::kRun ? run_report_html(dir, target) : comparison_report_html(dir);
  write_file_atomic(file, html);
  return file;
}

}  // namespace coex::core
