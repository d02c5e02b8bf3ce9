// The report at scale (issue 21): a training-free search of 15,625 NAS-Bench-201 candidates
// (bench/report_scale/nb201_gpu.toml), then `coex report`, then the page opened in headless
// Chromium (fresh profile each time) until everything is drawn. Prints the file size and the
// time from navigation start to drawn (median of --repeat openings), each as a ratio to the
// issue's budget (10 MB, 2 s).
//   build/bin/coex_report_scale [--run DIR] [--repeat 5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "browser.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  fs::path run = fs::temp_directory_path() / "coex-report-scale";
  int repeat = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--run")
      run = argv[i + 1];
    else if (a == "--repeat")
      repeat = std::max(1, std::atoi(argv[i + 1]));
    else {
      std::fprintf(stderr, "usage: %s [--run DIR] [--repeat N]\n", argv[0]);
      return 2;
    }
  }
  const std::string coex = COEX_BENCH_BIN;
  const std::string config =
      std::string(COEX_BENCH_SOURCE_DIR) + "/bench/report_scale/nb201_gpu.toml";
  auto sh = [](const std::string& cmd) {
    if (std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "failed: %s\n", cmd.c_str());
      std::exit(1);
    }
  };
  auto t0 = std::chrono::steady_clock::now();
  const std::string predictor = std::string(COEX_BENCH_SOURCE_DIR) +
                                "/plugins/estimators/nn_degree/tests/data/nn_degree_predictor.json";
  sh("'" + coex + "' run '" + config + "' --out '" + run.string() +
     "' --resume --set 'estimator.options.predictor=\"" + predictor + "\"' > /dev/null 2>&1");
  const double search_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const fs::path html = run / "report_bench.html";
  t0 = std::chrono::steady_clock::now();
  sh("'" + coex + "' report '" + run.string() + "' --out '" + html.string() + "' > /dev/null");
  const double write_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double mb = static_cast<double>(fs::file_size(html)) / 1e6;

  std::vector<double> drawn;
  std::size_t points = 0;
  for (int k = 0; k < repeat; ++k) {
    coex::test::Browser b(run / ("profile-" + std::to_string(k)));
    b.open("file://" + fs::absolute(html).string(), "window.coexReport && coexReport.ready", 120);
    drawn.push_back(b.eval("coexReport.drawnMs").get<double>() / 1000);
    points = b.eval(
                  "Object.values(coexReport.charts).reduce((n, c) => n + "
                  "c.data.datasets.reduce((m, d) => m + d.data.length, 0), 0)")
                 .get<std::size_t>();
    if (!b.errors().empty()) {
      std::fprintf(stderr, "browser errors: %s\n", b.errors().front().c_str());
      return 1;
    }
  }
  std::sort(drawn.begin(), drawn.end());
  const double median = drawn[drawn.size() / 2];
  std::printf("report of %s: 15,625 candidates (search %.1f s, report written in %.2f s)\n",
              run.c_str(), search_s, write_s);
  std::printf("  size           %8.2f MB   budget 10 MB   ratio %.2f\n", mb, mb / 10);
  std::printf(
      "  drawn after    %8.3f s    budget 2 s     ratio %.2f   (median of %d; min %.3f, "
      "max %.3f; %zu points plotted)\n",
      median, median / 2, repeat, drawn.front(), drawn.back(), points);
  return mb <= 10 && median < 2 ? 0 : 1;
}
