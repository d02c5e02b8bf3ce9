// The HTML reports (`coex report`, and the report.html that `coex run` and `coex compare` leave),
// opened in a real headless Chromium with a fresh profile and the background network off. The
// expected figures come from the run's store, read here independently of the report's code.
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "browser.hpp"
#include "coex/core/store.hpp"
#include "test_support.hpp"

using namespace coex;
using namespace coex::test;
using json = nlohmann::json;

namespace {

/// A fast co-exploration with pruning: chain_cnn on two FPGAs, the counting estimator (training
/// free), a throughput spec that some candidates miss.
std::string config(const std::string& controller, int budget, int delay_ms = 0,
                   const std::string& output = "") {
  return "name = \"rep\"\nseed = 3\nplugin_paths = [\"" + std::string(COEX_TEST_FIXTURE_DIR) +
         "/good\"]\n" + R"([search_space]
plugin = "chain_cnn"
[search_space.options]
depths = [3, 4]
kernels = [1, 3, 5]
filters = [8, 16, 32, 64]
stride_every = 2
[hardware]
plugin = "fpga_cluster"
[hardware.options]
pool = ["zcu102", "pynq_z1"]
[controller]
plugin = ")" +
         controller +
         R"("
[estimator]
plugin = "counting_estimator"
[estimator.options]
delay_ms = )" +
         std::to_string(delay_ms) +
         R"(
[specs]
constraints = ["throughput_fps >= 3000"]
[[reward.terms]]
metric = "throughput_fps"
bad = 3000
good = 30000
[budget]
candidates = )" +
         std::to_string(budget) + "\n" + output;
}

fs::path artefacts() {
  const fs::path d = fs::path(COEX_TEST_BUILD_DIR) / "test-artefacts" / "reports";
  fs::create_directories(d);
  return d;
}

/// Every src=, href= and CSS url() in the file whose target is outside it: an http:, https: or
/// file: URL, a protocol-relative or absolute or relative path, or a file name with a web
/// extension. Fragments (#...), data: URIs and JavaScript expressions (`toDataURL(...t)` in the
/// chart library) are not links, nor are namespace strings, which no src, href or url() holds.
std::vector<std::string> external_links(const std::string& html) {
  std::vector<std::string> out;
  static const std::regex link(R"re((?:\b(?:src|href)\s*=\s*["']?|url\(\s*["']?)([^"'\s)>]*))re",
                               std::regex::icase);
  static const std::regex outside(
      R"re(^(?:https?:|file:|//|/|\.{1,2}/|[\w.-]+\.(?:css|js|mjs|png|jpe?g|gif|svg|webp|woff2?|ttf|html?|json)(?:[?#].*)?$))re",
      std::regex::icase);
  for (auto it = std::sregex_iterator(html.begin(), html.end(), link); it != std::sregex_iterator();
       ++it) {
    const std::string v = (*it)[1].str();
    if (std::regex_search(v, outside)) out.push_back(it->str());
  }
  return out;
}

/// The page made no request but for the file itself, and logged no error.
void expect_sealed_and_clean(Browser& b, const fs::path& file) {
  for (const auto& e : b.errors()) ADD_FAILURE() << "browser error: " << e;
  const std::string self = "file://" + fs::absolute(file).string();
  for (const auto& u : b.requests())
    EXPECT_TRUE(u == self || u.rfind("data:", 0) == 0) << "the page requested " << u;
}

std::size_t count_with_metric(const std::vector<core::CandidateRecord>& rs, const std::string& m) {
  std::size_t n = 0;
  for (const auto& r : rs) n += r.outcome.metrics.has(m) ? 1 : 0;
  return n;
}

}  // namespace

TEST(Report, TheLinkCheckerFindsLinksOutsideTheFile) {
  EXPECT_EQ(external_links(R"(<img src="https://x.org/a.png"><a href='b.html'>)").size(), 2u);
  EXPECT_EQ(external_links("<style>a{background:url(../bg.png)}</style>").size(), 1u);
  EXPECT_EQ(external_links("<link href=//cdn.x/y.css>").size(), 1u);
  EXPECT_TRUE(
      external_links(R"(<a href="#pareto"><img src="data:image/png;base64,AA==">)").empty());
  EXPECT_TRUE(
      external_links("toDataURL(...t); createElementNS('http://www.w3.org/2000/svg')").empty());
}

TEST(Report, RunReportIsSealedAndShowsEveryCandidate) {
  TempDir tmp;
  const fs::path cfg = tmp.path() / "c.toml";
  write_text(cfg, config("random", 60));
  const fs::path out = tmp.path() / "run";
  const auto r = run_coex("run " + cfg.string() + " --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const fs::path html = out / "report.html";
  ASSERT_TRUE(fs::exists(html)) << "coex run must leave report.html";
  const std::string text = read_text(html);
  EXPECT_TRUE(external_links(text).empty()) << external_links(text).front();
  EXPECT_EQ(text.find("<script src"), std::string::npos);

  const auto records = core::SqliteStore(out / "coex.db", core::Store::Access::kRead).load_all();
  ASSERT_EQ(records.size(), 60u);
  std::size_t pruned = 0;
  for (const auto& rec : records) pruned += rec.outcome.status == CandidateStatus::kPruned;
  ASSERT_GT(pruned, 0u) << "the config should prune some candidates";

  Browser b(tmp.path() / "profile");
  b.open("file://" + fs::absolute(html).string(), "window.coexReport && coexReport.ready");
  expect_sealed_and_clean(b, html);

  // As many plotted points as the store has candidates with the objective's metric.
  const auto plotted = b.eval(
      "coexReport.charts['pareto:throughput_fps'].data.datasets.reduce((n, d) => n + "
      "d.data.length, 0)");
  EXPECT_EQ(plotted.get<std::size_t>(), count_with_metric(records, "throughput_fps"));
  // The front dataset holds exactly the store's Pareto candidates meeting the specs.
  const auto front = b.eval(
      "coexReport.charts['pareto:throughput_fps'].data.datasets[2].data.map(p => "
      "coexReport.data.cols.seq[p.i])");
  ASSERT_FALSE(front.empty());

  // The table: every candidate, paginated by 50.
  EXPECT_EQ(b.eval("document.getElementById('coex-count').dataset.total"), json("60"));
  EXPECT_EQ(b.eval("document.querySelectorAll('#coex-table tbody tr').length"), json(50));
  // Filtering by status keeps the pruned ones only.
  b.eval(
      "(() => { const f = document.getElementById('coex-filter'); f.value = 'pruned'; "
      "f.dispatchEvent(new Event('input')); return 1; })()");
  EXPECT_EQ(b.eval("document.getElementById('coex-count').dataset.shown").get<std::string>(),
            std::to_string(pruned));

  // Hovering a point of the front shows that candidate's seq, network and hardware.
  const std::int64_t seq = front[0].get<std::int64_t>();
  const auto xy = b.eval(
      "(() => { const c = coexReport.charts['pareto:throughput_fps']; "
      "c.canvas.scrollIntoView({block: 'center'}); const e = c.getDatasetMeta(2).data[0]; "
      "const r = c.canvas.getBoundingClientRect(); return [r.left + e.x, r.top + e.y]; })()");
  b.mouse_move(xy[0].get<double>(), xy[1].get<double>());
  std::string hover;
  for (int i = 0; i < 40 && hover.empty(); ++i) {
    hover = b.eval(
                 "(() => { const t = document.getElementById('coex-tooltip'); return "
                 "t.style.display === 'block' ? t.textContent : ''; })()")
                .get<std::string>();
    if (hover.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto& rec = records[static_cast<std::size_t>(seq)];
  EXPECT_NE(hover.find("#" + std::to_string(seq) + " "), std::string::npos) << hover;
  EXPECT_NE(hover.find(rec.network_summary), std::string::npos) << hover;
  EXPECT_NE(hover.find(rec.hardware_summary), std::string::npos) << hover;

  // The best pair: its layer graph and the FPGA pipeline's per-stage breakdown.
  EXPECT_GT(b.eval("document.querySelectorAll('#coex-netgraph g.node').length").get<int>(), 3);
  EXPECT_GE(b.eval("document.querySelectorAll('#coex-breakdown tbody tr').length").get<int>(), 1);
  EXPECT_EQ(b.eval("coexReport.data.best.breakdown.part_kind"), json("stage"));

  write_text(artefacts() / "run_report.png", b.screenshot_png());
  expect_sealed_and_clean(b, html);
}

TEST(Report, ARunInProgressIsReportedAsCommittedAndRefreshesItsReport) {
  TempDir tmp;
  const fs::path cfg = tmp.path() / "c.toml";
  write_text(cfg, config("random", 400, 100, "[output]\nreport_every = 5\n"));
  const fs::path out = tmp.path() / "run";
  const pid_t pid = start_coex_run(cfg, out);
  ASSERT_GT(pid, 0);
  // The run refreshes report.html every 5 candidates while it lasts.
  for (int i = 0; i < 600 && !fs::exists(out / "report.html"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(fs::exists(out / "report.html"));
  const bool ended = ::waitpid(pid, nullptr, WNOHANG) == pid;
  EXPECT_FALSE(ended) << "the run should still be going";
  // A report of the running directory: what is committed, no lock error.
  const fs::path mid = tmp.path() / "mid.html";
  const auto r = run_coex("report " + out.string() + " --out " + mid.string());
  if (!ended) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string text = read_text(mid);
  const std::regex total("\"seq\":\\[([0-9,]*)\\]");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, total));
  const std::string seqs = m[1].str();
  const auto n = static_cast<std::size_t>(std::count(seqs.begin(), seqs.end(), ',') + 1);
  EXPECT_GE(n, 5u);
  EXPECT_LT(n, 400u);
}

TEST(Report, ADirectoryThatIsNeitherARunNorAComparisonIsOneClearError) {
  TempDir tmp;
  const auto r = run_coex("report " + tmp.path().string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("is neither a coex run"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(tmp.path() / "report.html"));
  const auto missing = run_coex("report " + (tmp.path() / "nope").string());
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("is not a directory"), std::string::npos) << missing.output;
  // A store that is not SQLite: named, left alone.
  fs::create_directories(tmp.path() / "junk");
  write_text(tmp.path() / "junk" / "coex.db", "not a database");
  const auto junk = run_coex("report " + (tmp.path() / "junk").string());
  EXPECT_EQ(junk.exit_code, 2) << junk.output;
  EXPECT_NE(junk.output.find("is not a coex run store"), std::string::npos) << junk.output;
  EXPECT_EQ(read_text(tmp.path() / "junk" / "coex.db"), "not a database");
  EXPECT_FALSE(fs::exists(tmp.path() / "junk" / "report.html"));
}

TEST(Report, AnOutputFolderThatDoesNotExistIsOneClearError) {
  TempDir tmp;
  const fs::path cfg = tmp.path() / "c.toml";
  write_text(cfg, config("random", 5));
  ASSERT_EQ(run_coex("run " + cfg.string() + " --out " + (tmp.path() / "run").string()).exit_code,
            0);
  const auto r = run_coex("report " + (tmp.path() / "run").string() + " --out " +
                          (tmp.path() / "no" / "such" / "r.html").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(
      r.output.find("the folder " + (tmp.path() / "no" / "such").string() + " does not exist"),
      std::string::npos)
      << r.output;
}

TEST(Report, ComparisonReportShowsEachControllersAnytimeCurve) {
  TempDir tmp;
  const fs::path cfg = tmp.path() / "c.toml";
  write_text(cfg, config("random", 20));
  const fs::path out = tmp.path() / "cmp";
  const auto r = run_coex("compare " + cfg.string() + " --controllers random,evolution --seeds 3" +
                          " --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const fs::path html = out / "report.html";
  ASSERT_TRUE(fs::exists(html)) << r.output;
  EXPECT_TRUE(external_links(read_text(html)).empty());

  Browser b(tmp.path() / "profile");
  b.open("file://" + fs::absolute(html).string(), "window.coexReport && coexReport.ready");
  expect_sealed_and_clean(b, html);
  const auto labels =
      b.eval("coexReport.charts.anytime.data.datasets.filter(d => !d.coexBand).map(d => d.label)");
  EXPECT_EQ(labels, json({"random", "evolution"}));
  // One box per controller in each box plot, one dot per run.
  EXPECT_EQ(b.eval("document.querySelectorAll('#box-final circle.run').length"), json(6));
  EXPECT_EQ(b.eval("document.querySelectorAll('#coex-heatmap tbody tr').length"), json(2));
  write_text(artefacts() / "comparison_report.png", b.screenshot_png());
}
