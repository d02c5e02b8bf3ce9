// One co-exploration on a leader and workers through a real PostgreSQL server
// (tests/support/postgres.hpp), checked against the single-process SQLite run of the same config
// and seed: the same candidates in the same sequence with the same statuses, rewards and
// accuracies (training is deterministic here: one LibTorch thread, seeds from the network), each
// trained once and committed once, whatever dies in between.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "coex/core/store.hpp"
#include "postgres.hpp"
#include "test_support.hpp"

extern char** environ;

namespace coex::test {
namespace {

namespace fs = std::filesystem;
using core::CandidateRecord;

/// quickstart with small trainings on one thread: `images` training images per candidate.
std::string config_sets(int images, int candidates = 8) {
  return "--set budget.candidates=" + std::to_string(candidates) +
         " --set estimator.options.threads=1 --set estimator.options.train_size=" +
         std::to_string(images) + " --set estimator.options.validation_size=500";
}
const std::string kConfig = std::string(COEX_TEST_SOURCE_DIR) + "/configs/quickstart.toml";

/// A background coex process, stdout and stderr into `log`.
pid_t spawn_coex(const std::string& args, const fs::path& log) {
  std::vector<std::string> argv_s{
      "/bin/sh", "-c",
      std::string("exec '") + COEX_TEST_BIN + "' " + args + " > '" + log.string() + "' 2>&1"};
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv.data(), environ) != 0) return -1;
  return pid;
}

/// Exit code of `pid` (128 + signal when killed), waiting at most `seconds`; -1 on timeout
/// (the process is then killed).
int wait_exit(pid_t pid, double seconds = 600) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

/// Waits until `pred` holds (at most `seconds`); false on timeout.
template <class Pred>
bool wait_until(Pred pred, double seconds = 300) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

class Distributed : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_ = std::make_unique<PostgresServer>();
    ::setenv("PGPASSWORD", pg_->password().c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("PGPASSWORD");
    pg_.reset();
  }

  /// The single-process SQLite run of the same config (the reference).
  std::vector<CandidateRecord> reference(const std::string& sets) {
    const fs::path out = dir_.path() / "reference";
    const auto r = run_coex("run '" + kConfig + "' --out '" + out.string() + "' " + sets);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return core::SqliteStore(out / "coex.db", core::Store::Access::kRead).load_all();
  }

  std::string count(const std::string& sql) const {
    std::string s = pg_->query(sql);
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
  /// count() while a run starts: "" until its tables exist.
  std::string poll(const std::string& sql) const {
    try {
      return count(sql);
    } catch (const std::exception&) {
      return "";
    }
  }
  /// poll() as a number (0 until the tables exist).
  long number(const std::string& sql) const {
    const std::string s = poll(sql);
    return s.empty() ? 0 : std::stol(s);
  }

  /// The exactly-once check: run `run` in PostgreSQL equals `ref` candidate by candidate; every
  /// trained candidate has exactly one finished queue entry, none is left queued or claimed.
  void expect_equals_reference(const std::vector<CandidateRecord>& ref, const std::string& run) {
    const auto store =
        core::open_store(core::StorageUrl::parse(pg_->url(run)), core::Store::Access::kRead);
    const auto got = store->load_all();  // throws on a gap in the sequence
    ASSERT_EQ(got.size(), ref.size());
    std::size_t trained = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
      SCOPED_TRACE("candidate " + std::to_string(i));
      EXPECT_EQ(got[i].seq, ref[i].seq);
      EXPECT_EQ(got[i].key(), ref[i].key());
      EXPECT_EQ(got[i].network_hash, ref[i].network_hash);
      EXPECT_EQ(got[i].outcome.status, ref[i].outcome.status);
      EXPECT_EQ(got[i].outcome.reason, ref[i].outcome.reason);
      EXPECT_EQ(got[i].outcome.reward, ref[i].outcome.reward);
      EXPECT_EQ(got[i].outcome.accuracy, ref[i].outcome.accuracy);
      EXPECT_EQ(got[i].outcome.cached, ref[i].outcome.cached);
      EXPECT_EQ(got[i].trained, ref[i].trained);
      EXPECT_EQ(got[i].outcome.objectives, ref[i].outcome.objectives);
      if (got[i].trained) ++trained;
    }
    EXPECT_GT(trained, 0u);
    EXPECT_EQ(count("SELECT COUNT(*) FROM coex_candidates WHERE run = '" + run + "'"),
              std::to_string(ref.size()));
    EXPECT_EQ(count("SELECT COUNT(*) FROM coex_queue WHERE run = '" + run + "' AND state = 'done'"),
              std::to_string(trained));
    EXPECT_EQ(
        count("SELECT COUNT(*) FROM coex_queue WHERE run = '" + run + "' AND state <> 'done'"),
        "0");
    EXPECT_EQ(count("SELECT value FROM coex_meta WHERE run = '" + run + "' AND key = 'state'"),
              "finished");
  }

  /// Workers named in the queue's results of `run`.
  std::set<std::string> answered_by(const std::string& run) const {
    std::set<std::string> who;
    std::stringstream ss(
        pg_->query("SELECT result::json->>'worker' FROM coex_queue WHERE run = '" + run + "'"));
    for (std::string line; std::getline(ss, line);) who.insert(line);
    return who;
  }

  TempDir dir_;
  std::unique_ptr<PostgresServer> pg_;
};

std::string pid_suffix(pid_t pid) { return ":" + std::to_string(pid); }

TEST_F(Distributed, LeaderAndTwoWorkersEqualTheSingleProcessRun) {
  const std::string sets = config_sets(1000);
  const auto ref = reference(sets);
  // The password in the URL itself: accepted, never written anywhere or printed.
  const std::string url = "postgresql://coex:" + pg_->password() +
                          "@127.0.0.1:" + std::to_string(pg_->port()) + "/coex?run=two";
  const pid_t w1 = spawn_coex("worker --storage '" + pg_->url("two") + "'", dir_.path() / "w1.log");
  const pid_t w2 = spawn_coex("worker --storage '" + pg_->url("two") + "'", dir_.path() / "w2.log");
  const fs::path out = dir_.path() / "leader";
  const auto r = run_coex("run '" + kConfig + "' --out '" + out.string() + "' --storage '" + url +
                          "' --no-local-worker " + sets);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(wait_exit(w1, 120), 0) << read_text(dir_.path() / "w1.log");
  EXPECT_EQ(wait_exit(w2, 120), 0) << read_text(dir_.path() / "w2.log");
  expect_equals_reference(ref, "two");
  // --no-local-worker: only the two workers trained.
  for (const auto& who : answered_by("two")) {
    const bool w = who.ends_with(pid_suffix(w1)) || who.ends_with(pid_suffix(w2));
    EXPECT_TRUE(w) << who;
  }
  // Nothing was evaluated twice.
  EXPECT_EQ(count("SELECT COUNT(*) FROM coex_queue WHERE run = 'two' AND claims <> 1"), "0");
  // The password is nowhere: not in the output, the run directory, or the store's meta.
  EXPECT_EQ(r.output.find(pg_->password()), std::string::npos);
  for (const auto& f : fs::recursive_directory_iterator(out)) {
    if (f.is_regular_file()) {
      EXPECT_EQ(read_text(f.path()).find(pg_->password()), std::string::npos) << f.path();
    }
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM coex_meta WHERE value LIKE '%" + pg_->password() + "%'"),
            "0");
  // export and report read the run through the run directory's storage.url.
  const auto e = run_coex("export '" + out.string() + "' --out '" + (out / "x").string() + "'");
  ASSERT_EQ(e.exit_code, 0) << e.output;
  EXPECT_EQ(read_text(out / "x" / "candidates.csv"), read_text(out / "candidates.csv"));
  const auto rep = run_coex("report '" + out.string() + "'");
  EXPECT_EQ(rep.exit_code, 0) << rep.output;
  // ... and straight from the database, without the leader's folder.
  const fs::path direct = dir_.path() / "direct";
  const auto e2 =
      run_coex("export --storage '" + pg_->url("two") + "' --out '" + direct.string() + "'");
  ASSERT_EQ(e2.exit_code, 0) << e2.output;
  EXPECT_EQ(read_text(direct / "candidates.csv"), read_text(out / "candidates.csv"));
  const auto rep2 = run_coex("report --storage '" + pg_->url("two") + "' --out '" +
                             (direct / "r.html").string() + "'");
  ASSERT_EQ(rep2.exit_code, 0) << rep2.output;
  EXPECT_NE(read_text(direct / "r.html").find("<html"), std::string::npos);
  // A run the database does not hold: exit 2, naming the runs it holds.
  const auto none = run_coex("export --storage '" + pg_->url("nope") + "' --out '" +
                             (dir_.path() / "none").string() + "'");
  EXPECT_EQ(none.exit_code, 2) << none.output;
  EXPECT_NE(none.output.find("no coex run 'nope'"), std::string::npos) << none.output;
  EXPECT_NE(none.output.find("its runs: two"), std::string::npos) << none.output;
  EXPECT_FALSE(fs::exists(dir_.path() / "none"));
}

TEST_F(Distributed, AWorkerKilledMidTrainingLosesOnlyItsCandidate) {
  const std::string sets = config_sets(6000, 6);
  const auto ref = reference(sets);
  const fs::path out = dir_.path() / "leader";
  const pid_t leader = spawn_coex("run '" + kConfig + "' --out '" + out.string() + "' --storage '" +
                                      pg_->url("kw") + "' --no-local-worker " + sets,
                                  dir_.path() / "leader.log");
  const pid_t a = spawn_coex("worker --lease-seconds 2 --storage '" + pg_->url("kw") + "'",
                             dir_.path() / "a.log");
  // Kill worker A while it holds a candidate (mid-training).
  std::string victim;
  ASSERT_TRUE(wait_until([&] {
    victim = poll(
        "SELECT seq FROM coex_queue WHERE run = 'kw' AND state = 'claimed' AND "
        "worker LIKE '%" +
        pid_suffix(a) + "'");
    return !victim.empty();
  })) << read_text(dir_.path() / "a.log");
  ::kill(a, SIGKILL);
  EXPECT_EQ(wait_exit(a), 128 + SIGKILL);
  // As if A had run on another machine: this host cannot see that it died, so only its lease
  // (2 s) gives the candidate back. (A dead worker of this host is released at once: see
  // AKilledLeaderResumes.)
  pg_->query("UPDATE coex_queue SET worker = 'another-host" + pid_suffix(a) +
             "' WHERE run = 'kw' AND state = 'claimed'");
  const pid_t b = spawn_coex("worker --lease-seconds 2 --storage '" + pg_->url("kw") + "'",
                             dir_.path() / "b.log");
  EXPECT_EQ(wait_exit(leader), 0) << read_text(dir_.path() / "leader.log");
  EXPECT_EQ(wait_exit(b, 120), 0) << read_text(dir_.path() / "b.log");
  expect_equals_reference(ref, "kw");
  EXPECT_EQ(read_text(dir_.path() / "b.log").find("holds claims but is gone"), std::string::npos);
  // The killed candidate was claimed again (by B) once its lease ran out; no other twice.
  EXPECT_EQ(count("SELECT claims FROM coex_queue WHERE run = 'kw' AND seq = " + victim), "2");
  EXPECT_EQ(count("SELECT COUNT(*) FROM coex_queue WHERE run = 'kw' AND claims > 1"), "1");
}

TEST_F(Distributed, AWorkerStoppedBySigtermGivesItsCandidateBackAtOnce) {
  const std::string sets = config_sets(6000, 6);
  const auto ref = reference(sets);
  const pid_t leader =
      spawn_coex("run '" + kConfig + "' --out '" + (dir_.path() / "leader").string() +
                     "' --storage '" + pg_->url("term") + "' --no-local-worker " + sets,
                 dir_.path() / "leader.log");
  // A one-hour lease: only the release on SIGTERM can give the candidate back in time.
  const std::string worker = "worker --lease-seconds 3600 --storage '" + pg_->url("term") + "'";
  const pid_t a = spawn_coex(worker, dir_.path() / "a.log");
  std::string victim;
  ASSERT_TRUE(wait_until([&] {
    victim = poll("SELECT seq FROM coex_queue WHERE run = 'term' AND state = 'claimed'");
    return !victim.empty();
  })) << read_text(dir_.path() / "a.log");
  ::kill(a, SIGTERM);
  EXPECT_EQ(wait_exit(a, 60), 128 + SIGTERM) << read_text(dir_.path() / "a.log");
  EXPECT_NE(read_text(dir_.path() / "a.log").find("queued again"), std::string::npos)
      << read_text(dir_.path() / "a.log");
  EXPECT_EQ(count("SELECT COUNT(*) FROM coex_queue WHERE run = 'term' AND state = 'claimed'"), "0");
  const pid_t b = spawn_coex(worker, dir_.path() / "b.log");
  EXPECT_EQ(wait_exit(leader, 300), 0) << read_text(dir_.path() / "leader.log");
  EXPECT_EQ(wait_exit(b, 120), 0) << read_text(dir_.path() / "b.log");
  expect_equals_reference(ref, "term");
  EXPECT_EQ(count("SELECT claims FROM coex_queue WHERE run = 'term' AND seq = " + victim), "2");
}

TEST_F(Distributed, AKilledLeaderResumes) {
  const std::string sets = config_sets(3000, 8);
  const auto ref = reference(sets);
  const fs::path out = dir_.path() / "leader";
  const std::string args = "run '" + kConfig + "' --out '" + out.string() + "' --storage '" +
                           pg_->url("kl") + "' --lease-seconds 3600 " + sets;
  const pid_t leader = spawn_coex(args, dir_.path() / "leader.log");
  ASSERT_TRUE(wait_until([&] {
    // Two candidates committed and the leader's own worker holding the next one.
    return number("SELECT COUNT(*) FROM coex_candidates WHERE run = 'kl'") >= 2 &&
           number("SELECT COUNT(*) FROM coex_queue WHERE run = 'kl' AND state = 'claimed'") > 0;
  })) << read_text(dir_.path() / "leader.log");
  ::kill(leader, SIGKILL);
  EXPECT_EQ(wait_exit(leader), 128 + SIGKILL);
  const auto kept = std::stoi(count("SELECT COUNT(*) FROM coex_candidates WHERE run = 'kl'"));
  ASSERT_LT(kept, 8);
  // Without --resume the run is refused; with it, it continues.
  const auto again = run_coex(args);
  EXPECT_EQ(again.exit_code, 2) << again.output;
  EXPECT_NE(again.output.find("--resume"), std::string::npos) << again.output;
  // A candidate the killed leader had claimed (its own local worker) is given back at once: the
  // lease (an hour) is not waited for.
  // (It held one a moment before the kill; it may have finished it in between.)
  const bool held =
      count("SELECT COUNT(*) FROM coex_queue WHERE run = 'kl' AND state = 'claimed'") != "0";
  const pid_t resumed = spawn_coex(args + " --resume", dir_.path() / "resumed.log");
  ASSERT_EQ(wait_exit(resumed, 300), 0) << read_text(dir_.path() / "resumed.log");
  EXPECT_EQ(
      read_text(dir_.path() / "resumed.log").find("holds claims but is gone") != std::string::npos,
      held);
  expect_equals_reference(ref, "kl");
}

TEST_F(Distributed, AWorkerStartedBeforeItsLeaderWaitsForIt) {
  const std::string sets = config_sets(1000);
  const auto ref = reference(sets);
  const pid_t w = spawn_coex("worker --storage '" + pg_->url("early") + "'", dir_.path() / "w.log");
  ASSERT_TRUE(wait_until([&] {
    return read_text(dir_.path() / "w.log").find("waiting for run 'early'") != std::string::npos;
  }));
  const auto r = run_coex("run '" + kConfig + "' --out '" + (dir_.path() / "l").string() +
                          "' --storage '" + pg_->url("early") + "' --no-local-worker " + sets);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(wait_exit(w, 120), 0) << read_text(dir_.path() / "w.log");
  expect_equals_reference(ref, "early");
  const auto who = answered_by("early");
  ASSERT_EQ(who.size(), 1u);
  EXPECT_TRUE(who.begin()->ends_with(pid_suffix(w))) << *who.begin();
}

TEST_F(Distributed, ASecondLeaderOnTheSameRunIsRefused) {
  const std::string sets = config_sets(1000);
  const auto ref = reference(sets);
  const std::string run_args = "run '" + kConfig + "' --storage '" + pg_->url("dup") +
                               "' --no-local-worker " + sets + " --out ";
  const pid_t first = spawn_coex(run_args + "'" + (dir_.path() / "first").string() + "'",
                                 dir_.path() / "first.log");
  // It waits for workers once its first candidates are queued.
  ASSERT_TRUE(wait_until([&] {
    return number("SELECT COUNT(*) FROM coex_queue WHERE run = 'dup'") > 0;
  })) << read_text(dir_.path() / "first.log");
  for (const std::string& flag : {std::string(), std::string(" --resume")}) {
    const auto second = run_coex(run_args + "'" + (dir_.path() / "second").string() + "'" + flag);
    EXPECT_EQ(second.exit_code, 2) << second.output;
    EXPECT_NE(second.output.find("is led by another coex run"), std::string::npos) << second.output;
    EXPECT_FALSE(fs::exists(dir_.path() / "second"));
  }
  const pid_t w = spawn_coex("worker --storage '" + pg_->url("dup") + "'", dir_.path() / "w.log");
  EXPECT_EQ(wait_exit(first), 0) << read_text(dir_.path() / "first.log");
  EXPECT_EQ(wait_exit(w, 120), 0) << read_text(dir_.path() / "w.log");
  expect_equals_reference(ref, "dup");
}

TEST_F(Distributed, AWorkerWithoutTheRunsPluginsTakesNothing) {
  const std::string sets = config_sets(1000);
  const auto ref = reference(sets);
  const pid_t leader =
      spawn_coex("run '" + kConfig + "' --out '" + (dir_.path() / "l").string() + "' --storage '" +
                     pg_->url("plug") + "' --no-local-worker " + sets,
                 dir_.path() / "l.log");
  ASSERT_TRUE(wait_until([&] {
    return number("SELECT COUNT(*) FROM coex_queue WHERE run = 'plug'") > 0;
  })) << read_text(dir_.path() / "l.log");
  const std::string meta = "UPDATE coex_meta SET value = ";
  const std::string versions =
      count("SELECT value FROM coex_meta WHERE run = 'plug' AND key = 'plugin_versions'");
  struct Case {
    std::string name, tamper, undo, expect;
  };
  const std::vector<Case> cases{
      {"a plugin this host does not have",
       meta + "replace(value, 'plugin = ''trained''', 'plugin = ''trained_v2''') WHERE run = "
              "'plug' AND key = 'config'",
       meta + "replace(value, 'plugin = ''trained_v2''', 'plugin = ''trained''') WHERE run = "
              "'plug' AND key = 'config'",
       "trained_v2"},
      {"another version on the leader",
       meta + "replace(value, '\"trained\":\"0.1.0\"', '\"trained\":\"9.9.9\"') WHERE run = "
              "'plug' AND key = 'plugin_versions'",
       meta + "replace(value, '\"trained\":\"9.9.9\"', '\"trained\":\"0.1.0\"') WHERE run = "
              "'plug' AND key = 'plugin_versions'",
       "but 9.9.9 on the run's leader"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    pg_->query(c.tamper);
    const auto w = run_coex("worker --storage '" + pg_->url("plug") + "'");
    EXPECT_EQ(w.exit_code, 2) << w.output;
    EXPECT_NE(w.output.find(c.expect), std::string::npos) << w.output;
    EXPECT_NE(w.output.find("Fix: install the run's plugins here"), std::string::npos) << w.output;
    EXPECT_EQ(count("SELECT COUNT(*) FROM coex_queue WHERE run = 'plug' AND claims > 0"), "0");
    pg_->query(c.undo);
  }
  EXPECT_EQ(count("SELECT value FROM coex_meta WHERE run = 'plug' AND key = 'plugin_versions'"),
            versions);
  const pid_t w = spawn_coex("worker --storage '" + pg_->url("plug") + "'", dir_.path() / "w.log");
  EXPECT_EQ(wait_exit(leader), 0) << read_text(dir_.path() / "l.log");
  EXPECT_EQ(wait_exit(w, 120), 0) << read_text(dir_.path() / "w.log");
  expect_equals_reference(ref, "plug");
}

TEST_F(Distributed, CompareKeepsEveryRunInTheDatabase) {
  const fs::path out = dir_.path() / "cmp";
  const auto r =
      run_coex("compare '" + kConfig + "' --controllers rl,random --seeds 2 --out '" +
               out.string() + "' --storage '" + pg_->url("cmp") + "' " + config_sets(500, 4));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(out / "compare.json"));
  for (const std::string run :
       {"cmp-rl-seed-0", "cmp-rl-seed-1", "cmp-random-seed-0", "cmp-random-seed-1"}) {
    EXPECT_EQ(count("SELECT COUNT(*) FROM coex_candidates WHERE run = '" + run + "'"), "4") << run;
    EXPECT_FALSE(fs::exists(out / run.substr(4, run.find("-seed") - 4) / "seed-0" / "coex.db"));
  }
  // The comparison's numbers come from the database: the same as a SQLite comparison.
  const fs::path local = dir_.path() / "cmp-local";
  const auto l = run_coex("compare '" + kConfig + "' --controllers rl,random --seeds 2 --out '" +
                          local.string() + "' " + config_sets(500, 4));
  ASSERT_EQ(l.exit_code, 0) << l.output;
  EXPECT_EQ(read_text(out / "compare.csv"), read_text(local / "compare.csv"));
}

TEST_F(Distributed, BadConnectionsExitTwoWithTheFixAndNoPassword) {
  const std::string sets = config_sets(1000, 2);
  const std::string port = std::to_string(pg_->port());
  struct Case {
    std::string name, url, env, expect;
  };
  const int closed_port = PostgresServer::free_port();  // nobody listens there
  const std::vector<Case> cases{
      {"wrong password in the URL",
       "postgresql://coex:NotThePassword123@127.0.0.1:" + port + "/coex?run=bad", "",
       "refused the login"},
      {"wrong password in PGPASSWORD", pg_->url("bad"), "PGPASSWORD=AlsoWrong456 ",
       "refused the login"},
      {"unreachable server",
       "postgresql://coex@127.0.0.1:" + std::to_string(closed_port) + "/coex?run=bad", "",
       "cannot reach PostgreSQL"},
      {"missing database", pg_->url("bad", "nodb"), "", "does not exist"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path out = dir_.path() / "bad";
    for (const std::string& cmd :
         {"run '" + kConfig + "' --out '" + out.string() + "' --storage '" + c.url + "' " + sets,
          "worker --storage '" + c.url + "'"}) {
      const auto r = run_command(c.env + "'" + COEX_TEST_BIN + "' " + cmd);
      EXPECT_EQ(r.exit_code, 2) << r.output;
      EXPECT_NE(r.output.find(c.expect), std::string::npos) << r.output;
      EXPECT_NE(r.output.find("Fix:"), std::string::npos) << r.output;
      EXPECT_EQ(r.output.find("NotThePassword123"), std::string::npos) << r.output;
      EXPECT_EQ(r.output.find("AlsoWrong456"), std::string::npos) << r.output;
      EXPECT_EQ(r.output.find(pg_->password()), std::string::npos) << r.output;
      EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
      EXPECT_FALSE(fs::exists(out));
    }
  }
  // A worker needs a shared store; a SQLite URL is refused without creating the file.
  const fs::path db = dir_.path() / "x.db";
  const auto w = run_coex("worker --storage 'sqlite://" + db.string() + "'");
  EXPECT_EQ(w.exit_code, 2) << w.output;
  EXPECT_NE(w.output.find("coex worker needs a shared store"), std::string::npos) << w.output;
  EXPECT_FALSE(fs::exists(db));
  // Nothing of run 'bad' reached the server.
  EXPECT_EQ(count("SELECT COUNT(*) FROM pg_tables WHERE tablename = 'coex_meta'"), "0");
}

}  // namespace
}  // namespace coex::test
