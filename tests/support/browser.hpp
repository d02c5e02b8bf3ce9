// A real headless Chromium (Debian's /usr/bin/chromium) driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe: JSON messages ending in a NUL byte, the browser reading fd 3 and
// writing fd 4), for tests and benchmarks of the HTML reports. A fresh profile directory, the
// background network off; every console message, exception and network request the page makes
// is recorded.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

namespace coex::test {

class Browser {
 public:
  using json = nlohmann::json;

  /// Starts Chromium with a fresh profile in `profile_dir` (created; its log goes to
  /// chromium.log there). Throws std::runtime_error if it cannot start.
  explicit Browser(const std::filesystem::path& profile_dir,
                   const std::string& binary = "/usr/bin/chromium", int width = 1400,
                   int height = 1000) {
    std::filesystem::create_directories(profile_dir);
    int to[2], from[2];
    if (::pipe2(to, O_CLOEXEC) != 0 || ::pipe2(from, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2 failed");
    std::vector<std::string> args{
        binary,
        "--headless=new",
        "--remote-debugging-pipe",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--user-data-dir=" + profile_dir.string(),
        "--window-size=" + std::to_string(width) + "," + std::to_string(height),
        "about:blank"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, to[0], 3);
    posix_spawn_file_actions_adddup2(&fa, from[1], 4);
    const std::string log = (profile_dir / "chromium.log").string();
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    const int rc = posix_spawn(&pid_, binary.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(to[0]);
    ::close(from[1]);
    out_ = to[1];
    in_ = from[0];
    if (rc != 0) throw std::runtime_error("cannot start " + binary + ": " + std::strerror(rc));
  }

  ~Browser() {
    try {
      if (pid_ > 0) send("Browser.close", json::object());
    } catch (...) {
    }
    ::close(out_);
    ::close(in_);
    for (int i = 0; i < 50 && pid_ > 0; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  /// Sends a command (to the page's session once open() attached one) and returns its result.
  /// Throws std::runtime_error on a protocol error or after `timeout_s`.
  json call(const std::string& method, const json& params = json::object(), double timeout_s = 60) {
    const int id = send(method, params);
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (true) {
      for (std::size_t k = 0; k < replies_.size(); ++k)
        if (replies_[k].value("id", -1) == id) {
          json r = std::move(replies_[k]);
          replies_.erase(replies_.begin() + static_cast<std::ptrdiff_t>(k));
          if (r.contains("error")) throw std::runtime_error(method + ": " + r["error"].dump());
          return r.value("result", json::object());
        }
      const auto left = std::chrono::duration<double>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) throw std::runtime_error(method + ": no reply in time");
      pump(static_cast<int>(left.count() * 1000) + 1);
    }
  }

  /// Opens `url` in a new page with console, log and network recording on, and waits (at most
  /// `timeout_s`) until `ready_expression` evaluates to true in it.
  void open(const std::string& url, const std::string& ready_expression, double timeout_s = 60) {
    session_.clear();
    const json target = call("Target.createTarget", {{"url", "about:blank"}});
    const json attached =
        call("Target.attachToTarget", {{"targetId", target["targetId"]}, {"flatten", true}});
    session_ = attached["sessionId"].get<std::string>();
    for (const char* domain : {"Runtime.enable", "Log.enable", "Network.enable", "Page.enable"})
      call(domain);
    call("Page.navigate", {{"url", url}});
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (std::chrono::steady_clock::now() < end) {
      if (eval("(" + ready_expression + ") === true") == json(true)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("page " + url + " not ready in time: " + ready_expression);
  }

  /// The value of a JavaScript expression in the page (by value; promises awaited). Throws with
  /// the exception's text if it throws.
  json eval(const std::string& expression) {
    const json r =
        call("Runtime.evaluate",
             {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}});
    if (r.contains("exceptionDetails"))
      throw std::runtime_error("evaluating " + expression + ": " + r["exceptionDetails"].dump());
    return r["result"].value("value", json());
  }

  /// Moves the mouse to (x, y), CSS pixels of the viewport.
  void mouse_move(double x, double y) {
    call("Input.dispatchMouseEvent", {{"type", "mouseMoved"}, {"x", x}, {"y", y}});
  }

  /// A PNG of the whole page.
  std::string screenshot_png() {
    const json m = call("Page.getLayoutMetrics");
    const json size = m.value("cssContentSize", m.value("contentSize", json::object()));
    const json r = call("Page.captureScreenshot", {{"format", "png"},
                                                   {"captureBeyondViewport", true},
                                                   {"clip",
                                                    {{"x", 0},
                                                     {"y", 0},
                                                     {"width", size.value("width", 1400.0)},
                                                     {"height", size.value("height", 1000.0)},
                                                     {"scale", 1}}}});
    return base64_decode(r["data"].get<std::string>());
  }

  /// Console errors, uncaught exceptions and log entries of level error, as text.
  std::vector<std::string> errors() {
    pump(0);
    std::vector<std::string> out;
    for (const auto& e : events_) {
      const std::string m = e.value("method", "");
      const json& p = e.contains("params") ? e["params"] : json::object();
      if (m == "Runtime.consoleAPICalled" &&
          (p.value("type", "") == "error" || p.value("type", "") == "assert"))
        out.push_back("console: " + p["args"].dump());
      else if (m == "Runtime.exceptionThrown")
        out.push_back("exception: " + p["exceptionDetails"].dump());
      else if (m == "Log.entryAdded" && p["entry"].value("level", "") == "error")
        out.push_back("log: " + p["entry"].value("text", ""));
    }
    return out;
  }

  /// URLs of every request the page made (Network.requestWillBeSent), the document's included.
  std::vector<std::string> requests() {
    pump(0);
    std::vector<std::string> out;
    for (const auto& e : events_)
      if (e.value("method", "") == "Network.requestWillBeSent")
        out.push_back(e["params"]["request"].value("url", ""));
    return out;
  }

 private:
  int send(const std::string& method, const json& params) {
    json msg = {{"id", ++next_id_}, {"method", method}, {"params", params}};
    if (!session_.empty() && method.rfind("Target.", 0) != 0 && method != "Browser.close")
      msg["sessionId"] = session_;
    std::string text = msg.dump();
    text.push_back('\0');
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(out_, text.data() + done, text.size() - done);
      if (n <= 0) throw std::runtime_error("the browser closed its pipe");
      done += static_cast<std::size_t>(n);
    }
    return next_id_;
  }

  /// Reads what the browser sent within `timeout_ms`, sorting replies from events.
  void pump(int timeout_ms) {
    pollfd p{in_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return;
    char buf[1 << 16];
    const ssize_t n = ::read(in_, buf, sizeof buf);
    if (n <= 0) throw std::runtime_error("the browser exited (see chromium.log in its profile)");
    buffer_.append(buf, static_cast<std::size_t>(n));
    std::size_t start = 0, end = 0;
    while ((end = buffer_.find('\0', start)) != std::string::npos) {
      json m = json::parse(buffer_.substr(start, end - start));
      (m.contains("id") ? replies_ : events_).push_back(std::move(m));
      start = end + 1;
    }
    buffer_.erase(0, start);
  }

  static std::string base64_decode(const std::string& s) {
    auto v = [](char c) -> int {
      if (c >= 'A' && c <= 'Z') return c - 'A';
      if (c >= 'a' && c <= 'z') return c - 'a' + 26;
      if (c >= '0' && c <= '9') return c - '0' + 52;
      return c == '+' ? 62 : c == '/' ? 63 : -1;
    };
    std::string out;
    int bits = 0, acc = 0;
    for (char c : s) {
      const int x = v(c);
      if (x < 0) continue;
      acc = (acc << 6) | x;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out.push_back(static_cast<char>((acc >> bits) & 0xff));
      }
    }
    return out;
  }

  pid_t pid_ = -1;
  int out_ = -1, in_ = -1;
  int next_id_ = 0;
  std::string session_;
  std::string buffer_;
  std::vector<json> replies_, events_;
};

}  // namespace coex::test
