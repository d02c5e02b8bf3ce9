// A real, temporary PostgreSQL server for tests (Debian's postgresql package, installed by
// scripts/setup-deps.sh): a cluster made with initdb in a fresh temporary folder, owned by an
// unprivileged user (`nobody` when the tests run as root: initdb refuses root), started with
// pg_ctl on a free loopback port and its own socket folder, with password (SCRAM) logins over
// TCP, and stopped and deleted by the destructor.
#pragma once

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glob.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace coex::test {

class PostgresServer {
 public:
  /// Creates and starts the cluster with superuser `coex` (password password()) and database
  /// `coex`. Throws std::runtime_error with the server's log when anything fails.
  PostgresServer() {
    bin_ = find_bin();
    char tmpl[] = "/tmp/coex-pg-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    password_ = "pw-" + std::to_string(::getpid()) + "-s3cret";
    std::ofstream(dir_ / "pw") << password_ << "\n";
    std::filesystem::create_directories(dir_ / "sock");
    as_owner_ = ::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
    if (::geteuid() == 0) sh("chown -R 65534:65534 '" + dir_.string() + "'");
    port_ = free_port();
    sh(as_owner_ + "'" + bin_ + "/initdb' -D '" + (dir_ / "data").string() +
           "' -U coex --pwfile='" + (dir_ / "pw").string() +
           "' --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-sync > '" +
           (dir_ / "initdb.log").string() + "' 2>&1",
       "initdb", dir_ / "initdb.log");
    sh(as_owner_ + "'" + bin_ + "/pg_ctl' -D '" + (dir_ / "data").string() + "' -o \"-p " +
           std::to_string(port_) + " -k " + (dir_ / "sock").string() +
           " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60\" -l '" +
           (dir_ / "server.log").string() + "' -w -t 60 start > /dev/null 2>&1",
       "pg_ctl start", dir_ / "server.log");
    started_ = true;
    exec("postgres", "CREATE DATABASE coex");
  }
  ~PostgresServer() {
    if (started_)
      std::system((as_owner_ + "'" + bin_ + "/pg_ctl' -D '" + (dir_ / "data").string() +
                   "' -m immediate -w stop > /dev/null 2>&1")
                      .c_str());
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  const std::string& password() const { return password_; }
  /// The storage URL of run `run` in database `db` (no password: it goes by PGPASSWORD).
  std::string url(const std::string& run, const std::string& db = "coex") const {
    return "postgresql://coex@127.0.0.1:" + std::to_string(port_) + "/" + db + "?run=" + run;
  }
  /// Runs `sql` in `db`; the first column of every row, one per line. Throws on failure.
  std::string exec(const std::string& db, const std::string& sql) const {
    const std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port_) +
                                 " user=coex dbname=" + db + " password=" + password_;
    PGconn* c = PQconnectdb(conninfo.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
      const std::string m = PQerrorMessage(c);
      PQfinish(c);
      throw std::runtime_error("test server: " + m);
    }
    PGresult* r = PQexec(c, sql.c_str());
    const auto st = PQresultStatus(r);
    std::string out;
    if (st == PGRES_TUPLES_OK) {
      for (int i = 0; i < PQntuples(r); ++i) out += std::string(PQgetvalue(r, i, 0)) + "\n";
    } else if (st != PGRES_COMMAND_OK) {
      const std::string m = PQresultErrorMessage(r);
      PQclear(r);
      PQfinish(c);
      throw std::runtime_error("test server: " + sql + ": " + m);
    }
    PQclear(r);
    PQfinish(c);
    return out;
  }
  std::string query(const std::string& sql) const { return exec("coex", sql); }

  /// A loopback TCP port nobody listens on now (the kernel's choice).
  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ::close(fd);
      throw std::runtime_error("no free loopback port");
    }
    ::close(fd);
    return ntohs(a.sin_port);
  }

 private:
  static std::string find_bin() {
    glob_t g{};
    std::string best;
    if (::glob("/usr/lib/postgresql/*/bin/initdb", 0, nullptr, &g) == 0)
      for (std::size_t i = 0; i < g.gl_pathc; ++i)
        best = std::filesystem::path(g.gl_pathv[i]).parent_path().string();
    ::globfree(&g);
    if (best.empty())
      throw std::runtime_error(
          "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin. Fix: "
          "scripts/setup-deps.sh installs Debian's postgresql");
    return best;
  }
  static void sh(const std::string& cmd, const std::string& what = "",
                 const std::filesystem::path& log = {}) {
    if (std::system(cmd.c_str()) == 0) return;
    std::string text;
    if (!log.empty()) {
      std::ifstream f(log);
      text.assign(std::istreambuf_iterator<char>(f), {});
    }
    throw std::runtime_error("test server: " + (what.empty() ? cmd : what) + " failed\n" + text);
  }

  std::string bin_, password_, as_owner_;
  std::filesystem::path dir_;
  int port_ = 0;
  bool started_ = false;
};

}  // namespace coex::test
