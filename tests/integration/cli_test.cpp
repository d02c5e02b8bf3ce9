// The `coex` binary end to end: bad input (one clear message, exit 2, nothing written), plugin
// listing from manifests, pruning proven with a counting estimator, determinism, and resume
// after SIGKILL.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <regex>
#include <thread>

#include <sqlite3.h>

#include "coex/calibration.hpp"
#include "coex/core/calibration.hpp"
#include "coex/core/store.hpp"
#include "coex/plugin_entry.hpp"
#include "coex/testing/checks.hpp"
#include "coex/tools/networks.hpp"
#include "gpu_model.hpp"
#include "test_support.hpp"

using namespace coex;
using namespace coex::test;

namespace {

#ifdef COEX_TEST_WITH_TORCH
constexpr bool kTorchPlugins = true;
#else
// A build with COEX_WITH_TORCH=OFF (the asan-core preset CI runs): no rl, no trained.
constexpr bool kTorchPlugins = false;
#endif

/// The learning controller of the run tests: rl, or evolution where rl (LibTorch) is not built.
std::string learning_controller() { return kTorchPlugins ? "rl" : "evolution"; }

/// A fast co-exploration: chain_cnn + fpga_cluster + the counting estimator.
std::string base_config(const std::string& controller, int budget, const std::string& log_file = "",
                        int delay_ms = 0) {
  return "name = \"it\"\nseed = 5\nplugin_paths = [\"" + std::string(COEX_TEST_FIXTURE_DIR) +
         "/good\"]\n" +
         R"([search_space]
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
         controller + R"("
[estimator]
plugin = "counting_estimator"
[estimator.options]
log_file = ")" +
         log_file + "\"\ndelay_ms = " + std::to_string(delay_ms) + R"(
[specs]
constraints = ["throughput_fps >= 9000"]
[[reward.terms]]
metric = "throughput_fps"
bad = 9000
good = 30000
[budget]
candidates = )" +
         std::to_string(budget) + "\n";
}

struct BadInputCase {
  std::string expect;  // a fragment of the one message
  CommandResult r;
};

void expect_clean_failure(const CommandResult& r, const std::string& expect, const fs::path& out) {
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(expect), std::string::npos) << "expected '" << expect << "' in:\n"
                                                      << r.output;
  EXPECT_EQ(r.output.find("terminate"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("Segmentation"), std::string::npos) << r.output;
  // One message: a single "coex: error:" line.
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_FALSE(fs::exists(out)) << "a failed start must not leave a run directory";
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto p = s.find(from);
  if (p == std::string::npos) throw std::runtime_error("test bug: '" + from + "' not in config");
  return s.replace(p, from.size(), to);
}

/// Waits (at most 30 s) until the store in `out` holds `n` candidates; the count last seen.
std::int64_t wait_for_candidates(const std::string& out, std::int64_t n) {
  std::int64_t seen = 0;
  for (int i = 0; i < 600 && seen < n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (fs::exists(fs::path(out) / "coex.db")) {
      try {
        seen = core::SqliteStore(fs::path(out) / "coex.db").count();
      } catch (const std::exception&) {
      }
    }
  }
  return seen;
}

}  // namespace

TEST(CliBadInput, MalformedToml) {
  TempDir d;
  write_text(d / "c.toml", replace(base_config("random", 5), "[controller]", "[controller"));
  expect_clean_failure(
      run_coex("run " + (d / "c.toml").string() + " --out " + (d / "out").string()),
      (d / "c.toml").string() + ":15:", d / "out");
}

TEST(CliBadInput, UnknownPluginListsKnownOnes) {
  TempDir d;
  write_text(d / "c.toml",
             replace(base_config("random", 5), "plugin = \"random\"", "plugin = \"rnadom\""));
  const auto r = run_coex("run " + (d / "c.toml").string() + " --out " + (d / "out").string());
  expect_clean_failure(r,
                       "unknown controller plugin 'rnadom'. Known controller plugins:", d / "out");
  for (const char* known : {" random", kTorchPlugins ? " rl" : " evolution"})
    EXPECT_NE(r.output.find(known), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Did you mean 'random'?"), std::string::npos) << r.output;
}

TEST(CliBadInput, UnknownOptionSuggests) {
  TempDir d;
  write_text(d / "c.toml",
             replace(base_config("random", 5), "stride_every = 2", "stride_evry = 2"));
  expect_clean_failure(
      run_coex("run " + (d / "c.toml").string() + " --out " + (d / "out").string()),
      "c.toml:10:15: unknown option 'stride_evry' for plugin 'chain_cnn'. Did you mean "
      "'stride_every'?",
      d / "out");
}

TEST(CliBadInput, OptionOutOfRange) {
  TempDir d;
  write_text(d / "c.toml", replace(base_config("random", 5), "delay_ms = 0", "delay_ms = -4"));
  expect_clean_failure(
      run_coex("run " + (d / "c.toml").string() + " --out " + (d / "out").string()),
      "option 'delay_ms' of plugin 'counting_estimator': -4 is below the minimum 0", d / "out");
}

TEST(CliBadInput, TableListEntryFieldsAreValidatedWithTheirLine) {
  // [[hardware.options.boards]] entries are checked against the fields fpga_cluster declares:
  // a typo points at its line and column, with a suggestion; a missing field names the entry.
  TempDir d;
  const std::string custom = "pool = [\"mine\"]\n[[hardware.options.boards]]\nname = \"mine\"\n";
  write_text(d / "c.toml", replace(base_config("random", 5), "pool = [\"zcu102\", \"pynq_z1\"]",
                                   custom + "dsps = 100\nbram18k = 200"));
  expect_clean_failure(
      run_coex("run " + (d / "c.toml").string() + " --out " + (d / "out").string()),
      "c.toml:17:8: unknown field 'dsps' in entry 0 of option 'boards' of plugin 'fpga_cluster'. "
      "Did you mean 'dsp'?",
      d / "out");
  write_text(d / "c.toml", replace(base_config("random", 5), "pool = [\"zcu102\", \"pynq_z1\"]",
                                   custom + "bram18k = 200"));
  expect_clean_failure(
      run_coex("run " + (d / "c.toml").string() + " --out " + (d / "out").string()),
      "c.toml:15:1: entry 0 of option 'boards' of plugin 'fpga_cluster' needs field 'dsp'",
      d / "out");
  write_text(d / "c.toml", replace(base_config("random", 5), "pool = [\"zcu102\", \"pynq_z1\"]",
                                   custom + "dsp = 100\nbram18k = 200\nclock_mhz = 9000"));
  expect_clean_failure(
      run_coex("run " + (d / "c.toml").string() + " --out " + (d / "out").string()),
      "c.toml:19:13: field 'clock_mhz' of entry 0 of option 'boards' of plugin 'fpga_cluster': "
      "9000 is above the maximum 2000 (unit: MHz)",
      d / "out");
}

TEST(CliBadInput, ConstructorRejectionPointsAtTheOption) {
  // The schema accepts kernels = [1, 4, 5]; chain_cnn's constructor rejects the even kernel. The
  // message points at the option's line and column in the config, then names plugin and library.
  TempDir d;
  write_text(d / "c.toml",
             replace(base_config("random", 5), "kernels = [1, 3, 5]", "kernels = [1, 4, 5]"));
  const auto r = run_coex("run " + (d / "c.toml").string() + " --out " + (d / "out").string());
  expect_clean_failure(r, "c.toml:8:11: plugin 'chain_cnn' (", d / "out");
  EXPECT_NE(r.output.find("failed to start: option 'kernels': 4 is even"), std::string::npos)
      << r.output;
}

TEST(CliBadInput, MissingDatasetFiles) {
  if (!kTorchPlugins) GTEST_SKIP() << "needs the trained estimator (a build with LibTorch)";
  TempDir d;
  std::string c =
      replace(base_config("random", 5), "plugin = \"counting_estimator\"", "plugin = \"trained\"");
  c = replace(c, "log_file = \"\"\ndelay_ms = 0", "");
  c = replace(c, "[search_space]", "[task]\ndata_dir = \"/nonexistent/fmnist\"\n[search_space]");
  write_text(d / "c.toml", c);
  expect_clean_failure(
      run_coex("run " + (d / "c.toml").string() + " --out " + (d / "out").string()),
      "/nonexistent/fmnist/train-images-idx3-ubyte.gz is missing (expected an IDX file of 28x28 "
      "images). Fix: apt-get install dataset-fashion-mnist",
      d / "out");
  // CIFAR-10 (3 channels): the first missing file, what it holds and where CIFAR-10 comes from.
  c = replace(c, "[task]\ndata_dir = \"/nonexistent/fmnist\"",
              "[task]\ndataset = \"cifar10\"\ndata_dir = \"" + (d / "cifar").string() + "\"");
  write_text(d / "c.toml", c);
  expect_clean_failure(
      run_coex("run " + (d / "c.toml").string() + " --out " + (d / "out").string()),
      (d / "cifar" / "data_batch_1.bin").string() +
          " is missing (expected records of 1 label byte(s) and 3,072 pixel bytes). Fix: unpack "
          "the binary version of CIFAR-10 (cifar-10-binary.tar.gz",
      d / "out");
}

TEST(CliBadInput, BrokenPlugins) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"no_entry", "has no entry symbol 'coex_plugin_entry': it is not a coex plugin"},
      {"bad_abi", "was built for ABI major 99.0, but this coex expects ABI " COEX_STR(
                      COEX_ABI_MAJOR) "." COEX_STR(COEX_ABI_MINOR)},
      {"throwing_ctor",
       "plugin 'throwing_ctor' (" + std::string(COEX_TEST_FIXTURE_DIR) +
           "/throwing_ctor/coex_plugin_throwing_ctor.so) failed to start: throwing_ctor: "
           "deliberate failure in the constructor"},
  };
  for (const auto& [name, expect] : cases) {
    SCOPED_TRACE(name);
    TempDir d;
    write_text(d / "c.toml", replace(base_config("random", 5), "plugin = \"random\"",
                                     "plugin = \"" + name + "\""));
    expect_clean_failure(
        run_coex("--plugin-path " + std::string(COEX_TEST_FIXTURE_DIR) + "/" + name + " run " +
                 (d / "c.toml").string() + " --out " + (d / "out").string()),
        expect, d / "out");
  }
}

/// One bad input: what to write into a fresh folder `d` and the command to run there.
struct BadInput {
  std::string name;
  std::function<std::string(const fs::path& d)> setup;  ///< returns the coex arguments
  std::string expect;                                   ///< a fragment of the one message
};

TEST(CliBadInput, TableOfCasesEachOneMessageExitTwoNothingWritten) {
  const std::string fixtures = COEX_TEST_FIXTURE_DIR;
  // A run of `config` (base_config edited by `edit`) into d/out.
  auto run_with = [](std::function<std::string(std::string)> edit) {
    return [edit](const fs::path& d) {
      write_text(d / "c.toml", edit(base_config("random", 5)));
      return "run " + (d / "c.toml").string() + " --out " + (d / "out").string();
    };
  };
  auto swap = [&](const std::string& from, const std::string& to) {
    return run_with([from, to](std::string c) { return replace(c, from, to); });
  };
  // A run whose estimator is `table` on a file d/T.csv holding `csv`.
  auto table_run = [&](const std::string& csv) {
    return [csv](const fs::path& d) {
      if (!csv.empty()) write_text(d / "T.csv", csv);
      std::string c = replace(base_config("random", 5), "plugin = \"counting_estimator\"",
                              "plugin = \"table\"");
      c = replace(c, "log_file = \"\"\ndelay_ms = 0", "file = \"" + (d / "T.csv").string() + "\"");
      write_text(d / "c.toml", c);
      return "run " + (d / "c.toml").string() + " --out " + (d / "out").string();
    };
  };
  // A run whose target is `gpu` fitted to a measurement file d/M.csv holding `csv`.
  auto gpu_run = [&](const std::string& csv) {
    return [csv](const fs::path& d) {
      if (!csv.empty()) write_text(d / "M.csv", csv);
      std::string c =
          replace(base_config("random", 5),
                  "plugin = \"fpga_cluster\"\n[hardware.options]\npool = [\"zcu102\", \"pynq_z1\"]",
                  "plugin = \"gpu\"\n[hardware.options]\nmeasurements = \"" +
                      (d / "M.csv").string() + "\"");
      write_text(d / "c.toml", c);
      return "run " + (d / "c.toml").string() + " --out " + (d / "out").string();
    };
  };
  const std::string header = "network,device,precision,batch,latency_ms\n";
  const std::vector<BadInput> cases = {
      // Config files and --set.
      {"file missing", [](const fs::path& d) { return "run " + (d / "none.toml").string(); },
       "config file not found. Fix: check the path"},
      {"malformed TOML", swap("[controller]", "[controller"), "c.toml:15:"},
      {"unknown top-level key", swap("seed = 5", "seed = 5\nsede = 6"), "unknown key 'sede'"},
      {"seed out of range", swap("seed = 5", "seed = -1"), "'seed' = -1 is out of range"},
      {"unknown dataset", swap("[search_space]", "[task]\ndataset = \"mnsit\"\n[search_space]"),
       "unknown dataset 'mnsit'"},
      {"bad hardware mode",
       swap("plugin = \"fpga_cluster\"", "plugin = \"fpga_cluster\"\nmode = \"tunned\""),
       "hardware.mode must be \"tuned\" or \"searched\""},
      {"spec syntax", swap("throughput_fps >= 9000", "throughput_fps >> 9000"),
       "spec 'throughput_fps >> 9000'"},
      {"spec value", swap("throughput_fps >= 9000", "throughput_fps >= fast"),
       "is not of the form 'metric <= number' or 'metric >= number'"},
      {"no budget", swap("candidates = 5", "candidates = 0"), "no budget"},
      {"reward kind", swap("[[reward.terms]]", "[reward]\nkind = \"best\"\n[[reward.terms]]"),
       "reward"},
      {"--set without =",
       [](const fs::path& d) {
         write_text(d / "c.toml", base_config("random", 5));
         return "run " + (d / "c.toml").string() + " --out " + (d / "out").string() + " --set seed";
       },
       "--set 'seed': expected key.path=value"},
      // Plugins and their options.
      {"unknown controller", swap("plugin = \"random\"", "plugin = \"rnadom\""),
       "unknown controller plugin 'rnadom'"},
      {"controller named as estimator", swap("plugin = \"random\"", "plugin = \"table\""),
       "A plugin of that name exists, but it is an estimator"},
      {"unknown option", swap("stride_every = 2", "stride_evry = 2"),
       "unknown option 'stride_evry' for plugin 'chain_cnn'. Did you mean 'stride_every'?"},
      {"option type", swap("depths = [3, 4]", "depths = \"3\""),
       "option 'depths' of plugin 'chain_cnn': expected an array"},
      {"option range", swap("delay_ms = 0", "delay_ms = -4"), "-4 is below the minimum 0"},
      {"option choice", swap("[hardware.options]", "[hardware.options]\ntransfer = \"teleport\""),
       "option 'transfer' of plugin 'fpga_cluster': 'teleport' is not one of: sender separate"},
      {"constructor rejection", swap("kernels = [1, 3, 5]", "kernels = [1, 4, 5]"),
       "failed to start: option 'kernels': 4 is even"},
      {"list value twice", swap("filters = [8, 16, 32, 64]", "filters = [8, 8]"),
       "option 'filters' lists a value twice"},
      {"unknown board", swap("pool = [\"zcu102\", \"pynq_z1\"]", "pool = [\"zcu103\"]"),
       "unknown board 'zcu103'"},
      {"entry field typo",
       swap("pool = [\"zcu102\", \"pynq_z1\"]",
            "pool = [\"mine\"]\n[[hardware.options.boards]]\nname = \"mine\"\ndsps = 1\nbram18k = "
            "2"),
       "unknown field 'dsps' in entry 0 of option 'boards'"},
      {"entry field missing",
       swap("pool = [\"zcu102\", \"pynq_z1\"]",
            "pool = [\"mine\"]\n[[hardware.options.boards]]\nname = \"mine\""),
       "needs field 'dsp'"},
      {"entry field type",
       swap("pool = [\"zcu102\", \"pynq_z1\"]",
            "pool = [\"mine\"]\n[[hardware.options.boards]]\nname = \"mine\"\ndsp = "
            "\"many\"\nbram18k = 2"),
       "field 'dsp' of entry 0 of option 'boards' of plugin 'fpga_cluster': expected an integer"},
      {"plugin without entry",
       [&](const fs::path& d) {
         write_text(d / "c.toml", replace(base_config("random", 5), "plugin = \"random\"",
                                          "plugin = \"no_entry\""));
         return "--plugin-path " + fixtures + "/no_entry run " + (d / "c.toml").string() +
                " --out " + (d / "out").string();
       },
       "it is not a coex plugin"},
      {"plugin of another ABI",
       [&](const fs::path& d) {
         write_text(d / "c.toml", replace(base_config("random", 5), "plugin = \"random\"",
                                          "plugin = \"bad_abi\""));
         return "--plugin-path " + fixtures + "/bad_abi run " + (d / "c.toml").string() +
                " --out " + (d / "out").string();
       },
       "was built for ABI major 99.0, but this coex expects ABI " COEX_STR(
           COEX_ABI_MAJOR) "." COEX_STR(COEX_ABI_MINOR)},
      {"plugin that throws",
       [&](const fs::path& d) {
         write_text(d / "c.toml", replace(base_config("random", 5), "plugin = \"random\"",
                                          "plugin = \"throwing_ctor\""));
         return "--plugin-path " + fixtures + "/throwing_ctor run " + (d / "c.toml").string() +
                " --out " + (d / "out").string();
       },
       "deliberate failure in the constructor"},
      {"malformed manifest",
       [&](const fs::path& d) {
         fs::create_directories(d / "p");
         write_text(d / "p" / "x.coex-plugin.json", "{\"name\": \"x\"");
         write_text(d / "c.toml", base_config("random", 5));
         return "--plugin-path " + (d / "p").string() + " run " + (d / "c.toml").string() +
                " --out " + (d / "out").string();
       },
       "x.coex-plugin.json is malformed"},
      {"two plugins of one name",
       [&](const fs::path& d) {
         fs::create_directories(d / "p");
         fs::copy_file(fixtures + "/good/counting_estimator.coex-plugin.json",
                       d / "p" / "counting_estimator.coex-plugin.json");
         write_text(d / "c.toml", base_config("random", 5));
         return "--plugin-path " + (d / "p").string() + " run " + (d / "c.toml").string() +
                " --out " + (d / "out").string();
       },
       "two plugins are named 'counting_estimator'"},
      // Datasets.
      {"dataset files missing", run_with([](std::string c) {
         // (without LibTorch there is no trained estimator to read them: the datasets case is
         // then the image folder's, which the config loader checks)
         if (!kTorchPlugins)
           return replace(c, "[search_space]",
                          "[task]\ndataset = \"image_folder\"\nresize = 16\ndata_dir = "
                          "\"/nonexistent/pics\"\n[search_space]");
         c = replace(c, "plugin = \"counting_estimator\"", "plugin = \"trained\"");
         c = replace(c, "log_file = \"\"\ndelay_ms = 0", "");
         return replace(c, "[search_space]",
                        "[task]\ndata_dir = \"/nonexistent/fmnist\"\n[search_space]");
       }),
       kTorchPlugins ? "/nonexistent/fmnist/train-images-idx3-ubyte.gz is missing (expected an IDX "
                       "file of 28x28 images). Fix:"
                     : "/nonexistent/pics/train is missing. Fix:"},
      {"image folder without resize", run_with([](std::string c) {
         return replace(c, "[search_space]",
                        "[task]\ndataset = \"image_folder\"\ndata_dir = \"/tmp\"\n"
                        "[search_space]");
       }),
       "dataset \"image_folder\" needs 'resize'"},
      // Lookup tables (estimator `table`).
      {"table file missing", table_run(""), "T.csv. Fix: set option 'file'"},
      {"table column missing", table_run("arch,acc\na,0.5\n"),
       "has no column 'accuracy'. Columns: arch acc"},
      {"table empty", table_run("arch,accuracy\n"), "T.csv has no rows"},
      {"table accuracy not a number", table_run("arch,accuracy\na,high\n"),
       "T.csv:2: accuracy 'high' is not a number"},
      {"table key twice", table_run("arch,accuracy\na,0.5\na,0.6\n"),
       "T.csv:3: key 'a' appears twice"},
      {"table accuracy out of range", table_run("arch,accuracy\na,1.5\n"),
       "T.csv:2: accuracy 1.5 is outside [0, 1]"},
      // Measurement files (target `gpu`).
      {"measurements missing", gpu_run(""), "cannot read measurements"},
      {"measurements header", gpu_run("network,device,precision,batch\nn.json,a100_40gb,fp32,1\n"),
       "M.csv:1: header must be network,device,precision,batch,latency_ms"},
      {"measurement precision", gpu_run(header + "n.json,a100_40gb,fp64,1,2.0\n"),
       "M.csv:2: unknown precision 'fp64'"},
      {"measurement latency", gpu_run(header + "n.json,a100_40gb,fp32,1,-2\n"),
       "M.csv:2: batch must be an integer >= 1 and latency_ms a number > 0"},
      {"measurement network missing", gpu_run(header + "missing.json,a100_40gb,fp32,1,2\n"),
       "M.csv:2: cannot read network"},
      // Other commands.
      {"show unknown plugin", [](const fs::path&) { return std::string("plugins show nosuch"); },
       "unknown plugin 'nosuch'. Known:"},
      {"export of no run", [](const fs::path& d) { return "export " + (d / "out").string(); },
       "is not a coex run directory (no coex.db, no storage.url). Fix:"},
      {"validate unknown option",
       [](const fs::path& d) {
         write_text(d / "c.toml",
                    replace(base_config("random", 5), "stride_every = 2", "strid = 2"));
         return "validate " + (d / "c.toml").string();
       },
       "unknown option 'strid' for plugin 'chain_cnn'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir d;
    const std::string args = c.setup(d.path());
    expect_clean_failure(run_coex(args), c.expect, d / "out");
  }
  EXPECT_GE(cases.size(), 40u);

  // Inputs that find a run directory already there: the store is left exactly as it was.
  TempDir d;
  write_text(d / "c.toml", base_config("random", 5));
  const fs::path out = d / "out";
  ASSERT_EQ(run_coex("run " + (d / "c.toml").string() + " --out " + out.string()).exit_code, 0);
  const std::string db = read_text(out / "coex.db");
  auto expect_store_kept = [&](const std::string& args, const std::string& expect) {
    const auto r = run_coex(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(expect), std::string::npos) << args << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_EQ(read_text(out / "coex.db"), db) << args;
  };
  expect_store_kept("run " + (d / "c.toml").string() + " --out " + out.string(),
                    "already holds a run. Fix: pass --resume to continue it, or --out NEW_DIR");
  write_text(d / "other.toml", replace(base_config("random", 5), "seed = 5", "seed = 6"));
  expect_store_kept("run " + (d / "other.toml").string() + " --out " + out.string() + " --resume",
                    "holds a run of another configuration");
}

TEST(CliBadInput, PluginFolderWritableByOthers) {
  TempDir d;
  fs::create_directories(d / "plugins");
  fs::permissions(d / "plugins", fs::perms::all);
  write_text(d / "c.toml", base_config("random", 5));
  expect_clean_failure(
      run_coex("--plugin-path " + (d / "plugins").string() + " run " + (d / "c.toml").string() +
               " --out " + (d / "out").string()),
      "is writable by other users, so code loaded from it could be anyone's; refusing to load "
      "plugins from it. Fix: chmod o-w",
      d / "out");
}

TEST(CliBadInput, PluginFilesOthersCouldHaveWrittenAreRefusedUnlessAllowed) {
  // A copy of the fixture plugins in a private folder, used instead of the build's.
  TempDir d;
  const fs::path p = d / "plugins";
  fs::create_directories(p);
  for (const auto& e : fs::directory_iterator(std::string(COEX_TEST_FIXTURE_DIR) + "/good"))
    fs::copy_file(e.path(), p / e.path().filename());
  write_text(d / "c.toml", replace(base_config("random", 3),
                                   std::string(COEX_TEST_FIXTURE_DIR) + "/good", p.string()));
  const fs::path lib = p / "coex_plugin_counting_estimator.so";
  const fs::path manifest = p / "counting_estimator.coex-plugin.json";
  const std::string validate = "validate " + (d / "c.toml").string();
  ASSERT_EQ(run_coex(validate).exit_code, 0) << run_coex(validate).output;

  fs::permissions(lib, fs::perms::group_write, fs::perm_options::add);
  auto r = run_coex(validate);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("plugin file " + lib.string() +
                          " is writable by its group or by others, so its code could be "
                          "anyone's; refusing to load it. Fix: chmod go-w '" +
                          lib.string() + "'"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(run_coex("--allow-unsafe-plugins " + validate).exit_code, 0);
  fs::permissions(lib, fs::perms::group_write, fs::perm_options::remove);

  if (::geteuid() == 0) {  // only root can give a file away
    ASSERT_EQ(::chown(manifest.c_str(), 65534, 65534), 0);
    r = run_coex(validate);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("plugin file " + manifest.string() + " is owned by uid 65534"),
              std::string::npos)
        << r.output;
    EXPECT_EQ(run_coex("--allow-unsafe-plugins " + validate).exit_code, 0);
    ASSERT_EQ(::chown(manifest.c_str(), 0, 0), 0);
  }

  // A library changed after its manifest was written: refused, whatever the trust flag.
  std::ofstream(lib, std::ios::app) << '\0';
  for (const std::string& flags : {std::string(), std::string("--allow-unsafe-plugins ")}) {
    r = run_coex(flags + validate);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("plugin library " + lib.string() + " is not the library its manifest " +
                            manifest.string() + " was written for (its SHA-256 differs)"),
              std::string::npos)
        << r.output;
  }
}

TEST(CliPlugins, ListsFromManifestsWithoutLoadingLibTorch) {
  const auto r = run_command("LD_DEBUG=libs '" + std::string(COEX_TEST_BIN) + "' plugins");
  EXPECT_EQ(r.exit_code, 0);
  std::vector<std::string> rows{"search_space     chain_cnn", "hardware_target  fpga_cluster",
                                "controller       random", "estimator        nn_degree"};
  if (kTorchPlugins) rows.insert(rows.end(), {"controller       rl", "estimator        trained"});
  for (const auto& row : rows)
    EXPECT_NE(r.output.find(row), std::string::npos) << row << " missing in\n" << r.output;
  EXPECT_EQ(r.output.find("libtorch"), std::string::npos) << "coex plugins loaded LibTorch";
  EXPECT_EQ(r.output.find("coex_plugin_"), std::string::npos)
      << "coex plugins loaded a plugin library";
  // A manifest whose library is gone is still listed: listing never opens libraries.
  TempDir d;
  fs::create_directories(d / "p");
  std::string m = read_text(std::string(COEX_TEST_PLUGIN_DIR) + "/random.coex-plugin.json");
  ASSERT_FALSE(m.empty());
  m = std::regex_replace(m, std::regex("\"random\""), "\"ghost\"");
  m = std::regex_replace(m, std::regex("coex_plugin_random.so"), "gone.so");
  write_text(d / "p" / "ghost.coex-plugin.json", m);
  const auto g = run_coex("--plugin-path " + (d / "p").string() + " plugins");
  EXPECT_EQ(g.exit_code, 0) << g.output;
  EXPECT_NE(g.output.find("ghost"), std::string::npos) << g.output;
  const auto show = run_coex("plugins show fpga_cluster");
  EXPECT_NE(show.output.find("bram_check"), std::string::npos);
  EXPECT_NE(show.output.find("link_gbps            real [Gbit/s] in [0.001, 10000], default 10"),
            std::string::npos)
      << show.output;
  // The fields of table-list entries are listed under their option.
  EXPECT_NE(show.output.find("each entry ([[...options.boards]]) has the fields:"),
            std::string::npos)
      << show.output;
  EXPECT_NE(
      show.output.find("        dsp                  int in [1, 1000000], default (required)"),
      std::string::npos)
      << show.output;
  EXPECT_NE(show.output.find("        clock_mhz            real [MHz] in [1, 2000], default 100"),
            std::string::npos)
      << show.output;
}

TEST(CliRun, PrunedCandidatesAreNeverTrainedAndRunsAreDeterministic) {
  TempDir d;
  write_text(d / "c.toml", base_config(learning_controller(), 40, (d / "trained.log").string()));
  const auto r1 = run_coex("run " + (d / "c.toml").string() + " --out " + (d / "a").string());
  ASSERT_EQ(r1.exit_code, 0) << r1.output;
  EXPECT_NE(r1.output.find("pruned by the fast level:"), std::string::npos);
  const auto recs = core::SqliteStore(d / "a" / "coex.db").load_all();
  ASSERT_EQ(recs.size(), 40u);
  std::set<std::string> trained_log;
  {
    std::istringstream in(read_text(d / "trained.log"));
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    trained_log.insert(lines.begin(), lines.end());
    EXPECT_EQ(lines.size(), trained_log.size()) << "a network was trained twice";
  }
  std::size_t pruned = 0, trained = 0;
  std::set<std::string> trained_hashes;
  for (const auto& c : recs) {
    if (c.outcome.status == CandidateStatus::kPruned) {
      ++pruned;
      EXPECT_EQ(trained_log.count(c.network_hash), 0u)
          << "pruned candidate " << c.seq << " was trained";
    }
    if (c.trained) trained_hashes.insert(c.network_hash), ++trained;
  }
  EXPECT_GT(pruned, 0u) << "the spec should prune some candidates";
  EXPECT_EQ(trained_hashes, trained_log);

  // Same seed, same config -> the same candidates and results.
  const auto r2 = run_coex("run " + (d / "c.toml").string() + " --out " + (d / "b").string());
  ASSERT_EQ(r2.exit_code, 0) << r2.output;
  const auto again = core::SqliteStore(d / "b" / "coex.db").load_all();
  ASSERT_EQ(again.size(), recs.size());
  for (std::size_t i = 0; i < recs.size(); ++i) {
    EXPECT_EQ(again[i].point, recs[i].point) << i;
    EXPECT_EQ(again[i].outcome.status, recs[i].outcome.status) << i;
    EXPECT_EQ(again[i].outcome.reward, recs[i].outcome.reward) << i;
    EXPECT_EQ(again[i].hardware_summary, recs[i].hardware_summary) << i;
  }
  // Exports exist and have one row per candidate.
  const std::string csv = read_text(d / "a" / "candidates.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 41);
  const auto e = run_coex("export " + (d / "a").string() + " --out " + (d / "x").string());
  EXPECT_EQ(e.exit_code, 0) << e.output;
  EXPECT_EQ(read_text(d / "x" / "candidates.csv"), csv);
  // candidates.json is JSON, with each valid candidate's IR rebuilding the same network.
  const auto js = nlohmann::json::parse(read_text(d / "a" / "candidates.json"));
  ASSERT_EQ(js.size(), 40u);
  for (std::size_t i = 0; i < js.size(); ++i) {
    EXPECT_EQ(js[i]["seq"].get<std::int64_t>(), recs[i].seq);
    if (recs[i].network_hash.empty()) continue;
    EXPECT_EQ(Network::from_json(js[i]["network"]).hash_hex(), recs[i].network_hash) << i;
  }
  EXPECT_EQ(read_text(d / "x" / "candidates.json"), read_text(d / "a" / "candidates.json"));
  // Starting again on the same directory without --resume is refused.
  const auto again_run =
      run_coex("run " + (d / "c.toml").string() + " --out " + (d / "a").string());
  EXPECT_EQ(again_run.exit_code, 2);
  EXPECT_NE(again_run.output.find("pass --resume"), std::string::npos);
}

TEST(CliRun, CandidatesOnTwoThreadsGiveTheRunOfOne) {
  // A training-free FLASH-style run: dense_cells, raspberry_pi and nn_degree (with a predictor
  // given) all declare concurrency, so --workers 2 evaluates SHGO's sampling batches on two
  // threads. The store must be the one --workers 1 writes, candidate by candidate.
  TempDir d;
  write_text(d / "p.json", R"({"variant": "out", "model": "log_degree", "theta": [0.2, 0.1]})");
  write_text(d / "c.toml", R"(name = "par"
seed = 3
[search_space]
plugin = "dense_cells"
[search_space.options]
cells = 2
depth_min = 2
depth_max = 8
skips_max = 40
width_multipliers = [1, 2]
base_width = 2
[hardware]
plugin = "raspberry_pi"
[controller]
plugin = "shgo"
[controller.options]
sampling = "sobol"
n = 32
local = "cobyla"
local_maxeval = 10
[estimator]
plugin = "nn_degree"
[estimator.options]
predictor = ")" + (d / "p.json").string() +
                               R"("
[specs]
constraints = ["latency_ms <= 6"]
[[reward.terms]]
metric = "latency_ms"
bad = 6
good = 1
[budget]
candidates = 150
)");
  const auto one =
      run_coex("run " + (d / "c.toml").string() + " --workers 1 --out " + (d / "one").string());
  ASSERT_EQ(one.exit_code, 0) << one.output;
  EXPECT_EQ(one.output.find("candidates on"), std::string::npos) << one.output;
  const auto two =
      run_coex("run " + (d / "c.toml").string() + " --workers 2 --out " + (d / "two").string());
  ASSERT_EQ(two.exit_code, 0) << two.output;
  EXPECT_NE(two.output.find("candidates on 2 threads"), std::string::npos) << two.output;
  const auto a = core::SqliteStore(d / "one" / "coex.db").load_all();
  const auto b = core::SqliteStore(d / "two" / "coex.db").load_all();
  ASSERT_EQ(a.size(), 150u);
  ASSERT_EQ(b.size(), a.size());
  std::size_t pruned = 0, cached = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(b[i].seq, a[i].seq);
    EXPECT_EQ(b[i].point, a[i].point) << i;
    EXPECT_EQ(b[i].outcome.status, a[i].outcome.status) << i;
    EXPECT_EQ(b[i].outcome.reward, a[i].outcome.reward) << i;
    EXPECT_EQ(b[i].outcome.accuracy, a[i].outcome.accuracy) << i;
    EXPECT_EQ(b[i].outcome.metrics.to_json(), a[i].outcome.metrics.to_json()) << i;
    EXPECT_EQ(b[i].outcome.cached, a[i].outcome.cached) << i;
    EXPECT_EQ(b[i].network_json, a[i].network_json) << i;
    EXPECT_EQ(b[i].hardware_summary, a[i].hardware_summary) << i;
    pruned += a[i].outcome.status == CandidateStatus::kPruned;
    cached += a[i].outcome.cached;
  }
  // The run exercises the fast level's pruning and the cache (rounded points repeat networks).
  EXPECT_GT(pruned, 0u);
  EXPECT_GT(cached, 0u);
}

TEST(CliRun, ASecondRunOnARunningDirectoryIsRefusedNamingItsPid) {
  TempDir d;
  const int budget = 20;
  // No spec: every candidate reaches the (slow) estimator, so the run lasts about 4 s.
  write_text(d / "c.toml",
             replace(base_config("random", budget, "", 200),
                     "constraints = [\"throughput_fps >= 9000\"]", "constraints = []"));
  const std::string out = (d / "run").string();
  const pid_t pid = start_coex_run(d / "c.toml", out);
  ASSERT_GT(pid, 0);
  // Once it has committed a candidate, it holds the directory.
  const std::int64_t seen = wait_for_candidates(out, 1);
  ASSERT_GE(seen, 1);
  const auto second = run_coex("run " + (d / "c.toml").string() + " --out " + out + " --resume");
  EXPECT_EQ(second.exit_code, 2) << second.output;
  EXPECT_NE(second.output.find("run directory " + out + " is in use by another coex run (pid " +
                               std::to_string(pid) + "). Fix: wait for it to end"),
            std::string::npos)
      << second.output;
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the first run failed";
  // The refused run added nothing: the first run's candidates, each once.
  const auto all = core::SqliteStore(fs::path(out) / "coex.db").load_all();
  ASSERT_EQ(all.size(), static_cast<std::size_t>(budget));
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].seq, static_cast<std::int64_t>(i));
  // Once it ended, the directory is free again.
  EXPECT_EQ(run_coex("run " + (d / "c.toml").string() + " --out " + out + " --resume").exit_code,
            0);
}

TEST(CliBadInput, DamagedStoreIsOneClearErrorAndIsLeftAlone) {
  TempDir d;
  write_text(d / "c.toml", base_config("random", 6));
  const std::string out = (d / "run").string();
  ASSERT_EQ(run_coex("run " + (d / "c.toml").string() + " --out " + out).exit_code, 0);
  auto damage = [&](const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((fs::path(out) / "coex.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  };
  auto expect_refused = [&](const std::string& message) {
    const std::string before = read_text(fs::path(out) / "coex.db");
    for (const std::string& cmd :
         {"run " + (d / "c.toml").string() + " --out " + out + " --resume", "export " + out}) {
      const auto r = run_coex(cmd);
      EXPECT_EQ(r.exit_code, 2) << cmd << "\n" << r.output;
      EXPECT_NE(r.output.find(out + "/coex.db is damaged: " + message), std::string::npos)
          << r.output;
      EXPECT_NE(r.output.find("Fix: restore the run from a backup"), std::string::npos);
    }
    EXPECT_EQ(read_text(fs::path(out) / "coex.db"), before) << "the store was written";
  };
  damage("UPDATE candidates SET metrics = '{broken' WHERE seq = 3");
  expect_refused("candidate 3 cannot be read");
  damage("DELETE FROM candidates WHERE seq = 1");
  expect_refused("candidate 1 is missing (the next one is 2)");
  // Bytes that are no database at all.
  write_text(fs::path(out) / "coex.db", std::string(4096, 'x'));
  const auto r = run_coex("run " + (d / "c.toml").string() + " --out " + out + " --resume");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("is not a usable coex store"), std::string::npos) << r.output;
  EXPECT_EQ(read_text(fs::path(out) / "coex.db"), std::string(4096, 'x'));
}

TEST(CliRun, AFullDiskStopsTheRunCleanlyAndResumeCompletesIt) {
  // The full disk is injected with a file size limit (`ulimit -f`, in the shell of this one
  // command): the store's writes fail as on a full disk.
  TempDir d;
  const int budget = 200;
  write_text(d / "c.toml", base_config("random", budget));
  ASSERT_EQ(run_coex("run " + (d / "c.toml").string() + " --out " + (d / "ref").string()).exit_code,
            0);
  const auto ref = core::SqliteStore(d / "ref" / "coex.db").load_all();
  const std::string out = (d / "run").string();
  // (dash counts the limit in 512-byte blocks: 100 KB.)
  const auto full = run_command("ulimit -f 200; '" + std::string(COEX_TEST_BIN) + "' run " +
                                (d / "c.toml").string() + " --out " + out);
  EXPECT_EQ(full.exit_code, 2) << full.output;
  EXPECT_NE(full.output.find("; the store keeps the candidates before it. Fix: free space on its "
                             "disk (or raise the file size limit), then rerun with --resume"),
            std::string::npos)
      << full.output;
  const auto kept = core::SqliteStore(fs::path(out) / "coex.db").load_all();
  ASSERT_GT(kept.size(), 0u);
  ASSERT_LT(kept.size(), static_cast<std::size_t>(budget));
  EXPECT_NE(full.output.find("cannot commit candidate " + std::to_string(kept.size()) + " to "),
            std::string::npos)
      << full.output;
  // Space is back: the resume completes the run exactly as if nothing had happened.
  const auto r = run_coex("run " + (d / "c.toml").string() + " --out " + out + " --resume");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto all = core::SqliteStore(fs::path(out) / "coex.db").load_all();
  ASSERT_EQ(all.size(), ref.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].point, ref[i].point) << i;
    EXPECT_EQ(all[i].outcome.status, ref[i].outcome.status) << i;
    EXPECT_EQ(all[i].outcome.reward, ref[i].outcome.reward) << i;
  }
}

TEST(CliRun, ResumeAfterSigkillLosesAndRepeatsNothing) {
  TempDir d;
  const int budget = 30;
  write_text(d / "c.toml", base_config(learning_controller(), budget, "", 150));
  // Reference: the same run, uninterrupted.
  write_text(d / "fast.toml", base_config(learning_controller(), budget, "", 0));
  ASSERT_EQ(
      run_coex("run " + (d / "fast.toml").string() + " --out " + (d / "ref").string()).exit_code,
      0);
  const auto ref = core::SqliteStore(d / "ref" / "coex.db").load_all();

  const std::string out = (d / "run").string();
  const pid_t pid = start_coex_run(d / "c.toml", out);
  ASSERT_GT(pid, 0);
  // Kill it once some candidates are committed (bounded wait).
  wait_for_candidates(out, 8);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed";
  const auto partial = core::SqliteStore(fs::path(out) / "coex.db").count();
  ASSERT_GE(partial, 8);
  ASSERT_LT(partial, budget);

  const auto r = run_coex("run " + (d / "c.toml").string() + " --out " + out + " --resume");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("replayed from store: " + std::to_string(partial)), std::string::npos)
      << r.output;
  const auto all = core::SqliteStore(fs::path(out) / "coex.db").load_all();
  ASSERT_EQ(all.size(), static_cast<std::size_t>(budget));
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, static_cast<std::int64_t>(i));
    EXPECT_EQ(all[i].point, ref[i].point)
        << "candidate " << i << " differs from the uninterrupted run";
    EXPECT_EQ(all[i].outcome.reward, ref[i].outcome.reward) << i;
  }
}

TEST(CliValidate, EveryShippedConfigValidates) {
  if (!kTorchPlugins) GTEST_SKIP() << "the shipped configs use the rl controller and trained";
  for (const auto& e : fs::directory_iterator(COEX_TEST_SOURCE_DIR "/configs")) {
    if (e.path().extension() != ".toml") continue;
    const auto r = run_coex("validate " + e.path().string());
    EXPECT_EQ(r.exit_code, 0) << e.path() << "\n" << r.output;
    EXPECT_NE(r.output.find(": OK"), std::string::npos) << r.output;
  }
}

TEST(CliCompare, RunsEveryControllerAndSeedThenReportsAndResumes) {
  TempDir d;
  std::string cfg = base_config("random", 12);
  // Two hardware objectives' worth of Pareto front: accuracy and throughput.
  cfg += "[objectives]\nhardware = [\"throughput_fps\"]\n";
  write_text(d / "c.toml", cfg);
  const std::string cmd = "compare " + (d / "c.toml").string() +
                          " --controllers random,evolution,shgo --seeds 2 --jobs 2 --out " +
                          (d / "cmp").string();
  const auto r = run_coex(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* c : {"random", "evolution", "shgo"})
    for (int seed : {5, 6}) {
      const fs::path run = d / "cmp" / c / ("seed-" + std::to_string(seed));
      EXPECT_TRUE(fs::exists(run / "compare.done")) << run;
      const auto recs = core::SqliteStore(run / "coex.db").load_all();
      EXPECT_EQ(recs.size(), 12u) << run;
    }
  EXPECT_NE(r.output.find("Mann-Whitney U"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("evolution    vs shgo"), std::string::npos) << r.output;
  const std::string csv = read_text(d / "cmp" / "compare.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4) << csv;  // header + 3 controllers
  EXPECT_TRUE(fs::exists(d / "cmp" / "compare_curves.csv"));
  EXPECT_TRUE(fs::exists(d / "cmp" / "compare_pvalues.csv"));
  // Seeds differ: the two random runs propose different candidates.
  EXPECT_NE(core::SqliteStore(d / "cmp" / "random" / "seed-5" / "coex.db").load_all()[0].point,
            core::SqliteStore(d / "cmp" / "random" / "seed-6" / "coex.db").load_all()[0].point);

  // Rerunning starts nothing new and prints the same table; an interrupted run resumes.
  fs::remove(d / "cmp" / "shgo" / "seed-6" / "compare.done");
  const auto again = run_coex(cmd);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("(5 already done)"), std::string::npos) << again.output;
  EXPECT_EQ(core::SqliteStore(d / "cmp" / "shgo" / "seed-6" / "coex.db").load_all().size(), 12u);
  EXPECT_EQ(again.output.substr(again.output.find("controller ")),
            r.output.substr(r.output.find("controller ")));
}

TEST(CliCompare, UnknownControllerIsOneClearError) {
  TempDir d;
  write_text(d / "c.toml", base_config("random", 5));
  const auto r =
      run_coex("compare " + (d / "c.toml").string() +
               " --controllers random,evolutoin --seeds 2 --out " + (d / "cmp").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("unknown controller 'evolutoin'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Did you mean 'evolution'?"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(d / "cmp"));
}

#ifdef COEX_TEST_RPI_CALIBRATE
TEST(CliCalibrate, RaspberryPiTimesTheNetworksOfAConfigsSearchSpace) {
  // --space: the networks timed and fitted are sampled from the config's search space (here
  // flash_rpi's DenseNet cells, made shallow to keep the test short), on its task's input.
  TempDir d;
  const std::string config = std::string(COEX_TEST_SOURCE_DIR) + "/configs/flash_rpi.toml";
  const auto r = run_coex("calibrate --target raspberry_pi --space " + config +
                          " --set search_space.options.depth_max=4 --networks 40 --holdout 5 "
                          "--rounds 1 --repeats 1 --warmup 0 --dump " +
                          (d / "timed").string() + " --out " + (d / "p.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("45 search-space ("), std::string::npos) << r.output;
  const auto p = nlohmann::json::parse(read_text(d / "p.json"));
  const auto& report = p.at("report");
  EXPECT_NE(report.at("networks_from").get<std::string>().find("flash_rpi.toml"),
            std::string::npos);
  ASSERT_EQ(report.at("holdout").size(), 5u);
  for (const auto& row : report.at("holdout")) {
    EXPECT_GT(row.at("measured_ms").get<double>(), 0);
    EXPECT_GT(row.at("predicted_ms").get<double>(), 0);
  }
  // The profile is one the target loads.
  const auto v = run_coex("validate " + config + " --set hardware.options.device_profile=\"" +
                          (d / "p.json").string() + "\"");
  EXPECT_EQ(v.exit_code, 0) << v.output;
  // What was timed is in the measurement format: the generic fit reads it (one path for timing
  // here and for measurements taken elsewhere).
  const auto fit = run_coex("calibrate --config " + config +
                            " --set search_space.options.depth_max=4 --measurements " +
                            (d / "timed" / "measurements.csv").string() +
                            " --key-column network --latency-column latency_ms --fit 35 --out " +
                            (d / "fitted.json").string());
  ASSERT_EQ(fit.exit_code, 0) << fit.output;
  EXPECT_NE(fit.output.find("45 networks, fitted raspberry_pi's 52 coefficients on 35"),
            std::string::npos)
      << fit.output;
  EXPECT_TRUE(fs::exists(d / "fitted.json"));
  // --set belongs to --space; a missing config is one clear error.
  const auto no_space = run_coex("calibrate --target raspberry_pi --set a=1");
  EXPECT_EQ(no_space.exit_code, 2) << no_space.output;
  EXPECT_NE(no_space.output.find("--set applies to the config of --space"), std::string::npos)
      << no_space.output;
  const auto missing =
      run_coex("calibrate --target raspberry_pi --space " + (d / "none.toml").string());
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("none.toml"), std::string::npos) << missing.output;
}
#endif

TEST(CliCalibrate, GpuFitsMeasurementsTakenElsewhereAndNeedsCudaToMeasure) {
  TempDir d;
#if !defined(COEX_GPU_CUDA)
  // No CUDA LibTorch in this build: timing is refused with what to do instead.
  const auto none = run_coex("calibrate --target gpu --device a100_40gb");
  EXPECT_EQ(none.exit_code, 2) << none.output;
  EXPECT_NE(none.output.find("needs coex built against a CUDA-enabled LibTorch"), std::string::npos)
      << none.output;
  EXPECT_NE(none.output.find("--measurements FILE.csv"), std::string::npos) << none.output;
#endif
  // Measurements of an A100 generated by a known profile: the fit recovers it, held-out rows
  // are predicted within 10%, and the profile is written.
  const gpu::Device& a100 = *gpu::find_preset("a100_40gb");
  gpu::Profile truth = gpu::default_profile();
  truth.ops[0] = {0.45, 0.8};
  truth.launch_us = 6;
  const auto nets = coex::tools::generated_networks(24, 11, {3, 64, 64}, 10, {16, 64, 256, 512});
  fs::create_directories(d / "networks");
  std::string csv = "network,device,precision,batch,latency_ms\n";
  for (std::size_t i = 0; i < nets.size(); ++i) {
    const std::string name = "networks/" + std::to_string(i) + ".json";
    write_text(d / name, nets[i].to_json().dump());
    for (auto p : {gpu::Precision::kFp32, gpu::Precision::kFp16})
      for (int b : {1, 256}) {
        char line[160];
        std::snprintf(line, sizeof line, "%s,a100_40gb,%s,%d,%.17g\n", name.c_str(),
                      gpu::precision_name(p), b,
                      gpu::predict(gpu::workload(nets[i]), {&a100, p, b, 0, 1}, truth).latency_ms);
        csv += line;
      }
  }
  write_text(d / "m.csv", csv);
  const auto r = run_coex("calibrate --target gpu --measurements " + (d / "m.csv").string() +
                          " --holdout 16 --out " + (d / "out" / "a100.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("held-out 16 measurements: 100% within +-10%"), std::string::npos)
      << r.output;
  std::ifstream in(d / "out" / "a100.json");
  const auto p = gpu::Profile::from_json(nlohmann::json::parse(in), "a100.json");
  EXPECT_TRUE(p.calibrated);
  EXPECT_EQ(p.device, "a100_40gb");
  EXPECT_NEAR(p.ops[0].compute, 0.45, 1e-6);
  EXPECT_NEAR(p.ops[0].memory, 0.8, 1e-6);
  EXPECT_NEAR(p.launch_us, 6, 1e-6);
  // A malformed row: one message with file:line, exit 2, no profile written.
  write_text(d / "bad.csv",
             "network,device,precision,batch,latency_ms\nnetworks/0.json,a100_40gb,"
             "fp32,zero,1\n");
  const auto bad = run_coex("calibrate --target gpu --measurements " + (d / "bad.csv").string() +
                            " --out " + (d / "bad.json").string());
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("bad.csv:2: batch must be an integer"), std::string::npos)
      << bad.output;
  EXPECT_FALSE(fs::exists(d / "bad.json"));
}

namespace {

/// A config of nb201 networks on the CPU model, eager, one thread.
std::string calibration_config(const fs::path& dir) {
  return std::regex_replace(R"(name = "calib"
seed = 0
[task]
dataset = "none"
input = [3, 32, 32]
classes = 10
[search_space]
plugin = "nb201"
[hardware]
plugin = "raspberry_pi"
[hardware.options]
device = "rpi4"
runtime = "eager"
max_threads = 1
[controller]
plugin = "random"
[estimator]
plugin = "table"
[estimator.options]
file = "ACC"
[budget]
candidates = 4
)",
                            std::regex("ACC"), (dir / "acc.csv").string());
}

/// calibration_config() with another hardware section.
std::string calibration_config_for(const fs::path& dir, const std::string& hardware) {
  return std::regex_replace(calibration_config(dir),
                            std::regex(R"(\[hardware\][^]*max_threads = 1\n)"), hardware);
}

}  // namespace

TEST(CliCalibrate, FitsMeasurementsOfAConfigsNetworksAndTheProfileIsApplied) {
  // Measurements generated by known coefficients (a device 20x faster than the rpi4 preset, with
  // slower 3x3 convolutions): the fit on 40 predicts the 20 held out, and a config using the
  // profile reports the generating latencies.
  TempDir d;
  write_text(d / "c.toml", calibration_config(d.path()));
  write_text(d / "acc.csv",
             "arch,accuracy\n\"|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|\",0.5\n");
  Task cifar;  // the config's task: NAS-Bench-201 on 3x32x32 inputs
  cifar.dataset = "none";
  cifar.input = {3, 32, 32};
  auto space = coex::testing::load<SearchSpace>({"nb201", {}, cifar});
  const coex::testing::PluginUnderTest pi{
      "raspberry_pi", {{"device", "rpi4"}, {"runtime", "eager"}, {"max_threads", 1}}, cifar};
  auto truth = coex::testing::load<HardwareTarget>(pi);
  std::vector<double> v = default_values(truth->coefficients());
  v[0] = 0.05;  // latency_scale
  v[2] *= 1.5;  // conv_ms_per_gflop
  truth->set_coefficients(v);
  std::mt19937_64 rng(4);
  std::string csv = "arch,ms\n";
  std::vector<std::pair<std::string, double>> rows;
  while (rows.size() < 60) {
    const Point p = space->space().sample(rng);
    const double ms = truth->evaluate(space->decode(p), {1}).metrics.get("latency_ms");
    rows.emplace_back(space->describe(p), ms);
    char line[200];
    std::snprintf(line, sizeof line, "\"%s\",%.17g\n", rows.back().first.c_str(), ms);
    csv += line;
  }
  write_text(d / "m.csv", csv);
  const std::string base = "calibrate --config " + (d / "c.toml").string() + " --measurements " +
                           (d / "m.csv").string() + " --latency-column ms ";
  const auto r = run_coex(base + "--fit 40 --seed 3 --out " + (d / "p.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("fitted raspberry_pi's 52 coefficients on 40 (seed 3), checked on 20"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("within 10% 100.0%"), std::string::npos) << r.output;
  const auto profile = nlohmann::json::parse(read_text(d / "p.json"));
  EXPECT_EQ(profile.at("target"), "raspberry_pi");
  EXPECT_EQ(profile.at("fit").at("fitted_on"), 40);
  EXPECT_GT(profile.at("fit").at("calibrated").at("within_10pct").get<double>(), 0.99);
  // Every network's prediction is in the profile, held-out ones marked (the run report draws
  // them): the held-out ones within 10 % of their measurement, as the fit reported.
  const auto& points = profile.at("fit").at("points");
  ASSERT_EQ(points.size(), rows.size());
  std::size_t held = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(points[i].at("key"), rows[i].first);
    EXPECT_DOUBLE_EQ(points[i].at("measured_ms").get<double>(), rows[i].second);
    if (!points[i].at("held_out").get<bool>()) continue;
    ++held;
    EXPECT_NEAR(points[i].at("predicted_ms").get<double>() / rows[i].second, 1, 0.1) << i;
  }
  EXPECT_EQ(held, 20u);
  // A run with the profile: its report holds the calibration's points.
  // (accuracy from nn_degree's test predictor: the table of this config has one row)
  const auto run =
      run_coex("run " + (d / "c.toml").string() + " --out " + (d / "run").string() +
               " --set hardware.options.profile=\\\"" + (d / "p.json").string() +
               "\\\" --set estimator.plugin=nn_degree --set 'estimator.options={predictor=\"" +
               std::string(COEX_TEST_SOURCE_DIR) +
               "/plugins/estimators/nn_degree/tests/data/nn_degree_predictor.json\"}'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string html = read_text(d / "run" / "report.html");
  const auto at = html.find("\"calibration\":{");
  ASSERT_NE(at, std::string::npos);
  EXPECT_NE(html.find("\"held_out\":true", at), std::string::npos);

  // The profile, applied the way a run applies it, reproduces the generating latencies.
  auto fitted = coex::testing::load<HardwareTarget>(pi);
  core::apply_profile(*fitted, "raspberry_pi", core::read_profile(d / "p.json", "profile"), "p");
  for (std::size_t i = 0; i < rows.size(); i += 7) {
    const Network net = space->decode(space->parse(rows[i].first));
    EXPECT_NEAR(fitted->evaluate(net, {1}).metrics.get("latency_ms") / rows[i].second, 1, 0.05);
  }
  const auto ok =
      run_coex("validate " + (d / "c.toml").string() + " --set hardware.options.profile=\\\"" +
               (d / "p.json").string() + "\\\"");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  // A profile of another target: refused where the config names it.
  write_text(d / "g.toml", calibration_config_for(d.path(), "[hardware]\nplugin = \"imc\"\n"));
  const auto wrong =
      run_coex("validate " + (d / "g.toml").string() + " --set hardware.options.profile=\\\"" +
               (d / "p.json").string() + "\\\"");
  EXPECT_EQ(wrong.exit_code, 2) << wrong.output;
  EXPECT_NE(wrong.output.find("fitted for hardware target 'raspberry_pi', not 'imc'"),
            std::string::npos)
      << wrong.output;
}

TEST(CliCalibrate, BadMeasurementFilesExitTwoWithFileLineAndWriteNoProfile) {
  TempDir d;
  write_text(d / "c.toml", calibration_config(d.path()));
  write_text(d / "acc.csv",
             "arch,accuracy\n\"|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|\",0.5\n");
  const std::string a =
      "\"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
      "none~1|nor_conv_1x1~2|\"";
  const std::string b =
      "\"|avg_pool_3x3~0|+|none~0|skip_connect~1|+|nor_conv_1x1~0|none~1|"
      "none~2|\"";
  struct Case {
    std::string csv, args, want;
  };
  const std::vector<Case> cases = {
      {"arch,latency\n" + a + ",1\n", "", "m.csv:1: no column 'ms'"},
      {"arch,ms\n\"|conv~0|\",1\n", "", "m.csv:2: column 'arch': '|conv~0|' is not a network"},
      {"arch,ms\n" + a + ",-1\n", "", "m.csv:2: column 'ms' holds -1; a latency must be > 0"},
      {"arch,ms\n" + a + ",n/a\n", "", "m.csv:2: column 'ms' holds 'n/a', not a number"},
      {"arch,ms\n" + a + ",1\n" + b + ",2\n" + a + ",3\n", "", "m.csv:4: the network"},
      {"arch,ms\n" + a + ",1\n" + b + ",2\n", "--fit 5", "--fit 5 needs 5 measured networks"},
  };
  for (const auto& c : cases) {
    write_text(d / "m.csv", c.csv);
    const auto r = run_coex("calibrate --config " + (d / "c.toml").string() + " --measurements " +
                            (d / "m.csv").string() + " --latency-column ms " + c.args + " --out " +
                            (d / "p.json").string());
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(c.want), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Fix"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(d / "p.json")) << c.csv;
  }
  // A target without coefficients cannot be calibrated: said once, nothing written.
  write_text(d / "m.csv", "arch,ms\n" + a + ",1\n");
  write_text(d / "q.toml",
             calibration_config_for(d.path(), "[hardware]\nplugin = \"quantum_circuit\"\n"));
  const auto q =
      run_coex("calibrate --config " + (d / "q.toml").string() + " --measurements " +
               (d / "m.csv").string() + " --latency-column ms --out " + (d / "p.json").string());
  EXPECT_EQ(q.exit_code, 2) << q.output;
  EXPECT_FALSE(fs::exists(d / "p.json"));
}

TEST(CliBadInput, APluginErrorMidRunExitsTwoNotACrash) {
  // The `table` estimator throws a UserError from inside the run (a description missing from its
  // table). The error object is destroyed after the run's plugins are released: coex keeps plugin
  // libraries mapped until it exits, so this is exit 2 with the message, not a segfault.
  TempDir d;
  write_text(d / "c.toml", calibration_config(d.path()));
  write_text(d / "acc.csv",
             "arch,accuracy\n\"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|\",0.1\n");
  const auto r = run_coex("run " + (d / "c.toml").string() + " --out " + (d / "run").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("estimator 'table': no row for"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("Segmentation"), std::string::npos) << r.output;
}
