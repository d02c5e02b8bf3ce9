// Helpers shared by the test suites: load an in-tree plugin through the real registry, run the
// coex binary, make temporary folders.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "coex/plugin.hpp"
#include "coex/testing/checks.hpp"

extern char** environ;

namespace coex::test {

namespace fs = std::filesystem;

/// Creates plugin `name` of type T with `options` (validated like the host does) and `task`,
/// through the conformance kit's loader.
template <class T>
std::shared_ptr<T> load_plugin(const std::string& name,
                               const nlohmann::json& options = nlohmann::json::object(),
                               Task task = Task{}) {
  return coex::testing::load<T>({name, options, task});
}

/// Runs controller `name` (with `options`) on the kit's toy problem of `seed` against a scripted
/// evaluator of `budget` candidates; returns the points it proposed and, in `rewards`, their
/// rewards.
inline std::vector<Point> run_controller(const std::string& name, const nlohmann::json& options,
                                         std::uint64_t seed, std::size_t budget,
                                         std::vector<double>* rewards = nullptr) {
  const Problem pr = coex::testing::toy_problem(seed, 0);
  coex::testing::ScriptedEvaluator ev(pr.space, budget);
  load_plugin<Controller>(name, options)->search(pr, ev);
  if (rewards) *rewards = ev.rewards;
  return ev.points;
}

/// Controller `name` (with `options`) on the toy problem, budget 37: spends exactly the budget,
/// repeats its run under the same seed (7) and changes it under another (8).
inline void expect_exact_budget_and_seed_use(const std::string& name,
                                             const nlohmann::json& options) {
  const auto a = run_controller(name, options, 7, 37);
  EXPECT_EQ(a.size(), 37u) << name;
  EXPECT_EQ(a, run_controller(name, options, 7, 37))
      << name << " is not deterministic under a seed";
  EXPECT_NE(a, run_controller(name, options, 8, 37)) << name << " ignores the seed";
}

/// A fresh private temporary folder, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "coex-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::replace, ec);
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& s) const { return path_ / s; }

 private:
  fs::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together
};

/// Runs a shell command line, capturing stdout+stderr.
inline CommandResult run_command(const std::string& cmd) {
  CommandResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

/// Runs the coex binary under test with `args`.
inline CommandResult run_coex(const std::string& args) {
  return run_command(std::string("'") + COEX_TEST_BIN + "' " + args);
}

/// Starts `coex run CONFIG --out OUT` in the background (stderr to /dev/null); its pid, or -1.
inline pid_t start_coex_run(const fs::path& config, const fs::path& out) {
  std::vector<std::string> args{COEX_TEST_BIN, "run", config.string(), "--out", out.string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  const int rc = posix_spawn(&pid, COEX_TEST_BIN, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

inline void write_text(const fs::path& p, const std::string& text) {
  std::ofstream f(p);
  f << text;
}

inline std::string read_text(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace coex::test
