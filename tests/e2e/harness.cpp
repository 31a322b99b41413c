#include "e2e/harness.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

namespace fs = std::filesystem;

namespace tdd::test {

namespace {

fs::path make_temp_dir(const char* prefix) {
  std::string tmpl = (fs::temp_directory_path() / prefix).string() + "XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    FAIL("mkdtemp failed: " << std::strerror(errno));
  }
  return tmpl;
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

/// fork + exec with stdout/stderr to files in `scratch` (no pipe deadlocks
/// on big output), stdin from /dev/null, in `cwd`, environment = ours +
/// `env`; in a process group of its own when `own_group`.
pid_t start_child(const std::vector<std::string>& argv,
                  const std::map<std::string, std::string>& env,
                  const fs::path& cwd, const fs::path& scratch,
                  bool own_group) {
  const auto out_file = scratch / "out";
  const auto err_file = scratch / "err";
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (own_group && setpgid(0, 0) != 0) {
      _exit(127);
    }
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0
        || dup2(err, 2) < 0 || chdir(cwd.c_str()) != 0) {
      _exit(127);
    }
    // The user's own settings must not leak into a test.
    std::vector<std::string> leaked{"SLACK_WEBHOOK_URL", "NO_COLOR"};
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, "TDD_", 4) == 0) {
        leaked.emplace_back(*e, std::strcspn(*e, "="));
      }
    }
    for (const auto& name : leaked) {
      unsetenv(name.c_str());
    }
    for (const auto& [k, v] : env) {
      setenv(k.c_str(), v.c_str(), 1);
    }
    std::vector<char*> args;
    for (const auto& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  if (own_group) {
    setpgid(pid, pid); // also here: no race with a signal sent right away
  }
  return pid;
}

int decode_status(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

run_result collect(int code, const fs::path& scratch) {
  run_result r;
  r.code = code;
  r.out = slurp(scratch / "out");
  r.err = slurp(scratch / "err");
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return r;
}

run_result spawn(const std::vector<std::string>& argv,
                 const std::map<std::string, std::string>& env,
                 const fs::path& cwd) {
  const fs::path scratch = make_temp_dir("tdd-e2e-out.");
  const pid_t pid = start_child(argv, env, cwd, scratch, false);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return collect(decode_status(status), scratch);
}

} // namespace

nlohmann::json run_result::json() const {
  try {
    return nlohmann::json::parse(out);
  } catch (const std::exception& e) {
    FAIL("stdout is not JSON (" << e.what() << "):\n" << out);
  }
  return {};
}

std::string orchestrator_binary() {
  return TDD_ORCHESTRATOR_BIN;
}

temp_repo::temp_repo() : dir_(make_temp_dir("tdd-e2e-repo.")) {
  const auto r = run({"git", "init", "-q", "-b", "main"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
}

temp_repo::~temp_repo() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void temp_repo::write(const std::string& rel, const std::string& text) const {
  const fs::path file = dir_ / rel;
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

std::string temp_repo::read(const std::string& rel) const {
  return slurp(dir_ / rel);
}

run_result
temp_repo::orchestrator(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env,
                        const fs::path& cwd) const {
  std::vector<std::string> argv{orchestrator_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return spawn(argv, env, cwd.empty() ? dir_ : cwd);
}

run_result temp_repo::run(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env,
                          const fs::path& cwd) const {
  return spawn(argv, env, cwd.empty() ? dir_ : cwd);
}

background_run temp_repo::start_orchestrator(
  const std::vector<std::string>& args,
  const std::map<std::string, std::string>& env) const {
  std::vector<std::string> argv{orchestrator_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return background_run{argv, env, dir_};
}

background_run::background_run(const std::vector<std::string>& argv,
                               const std::map<std::string, std::string>& env,
                               const fs::path& cwd)
    : scratch_(make_temp_dir("tdd-e2e-bg.")),
      pid_(start_child(argv, env, cwd, scratch_, true)) {}

background_run::background_run(background_run&& other) noexcept
    : scratch_(std::move(other.scratch_)), pid_(std::exchange(other.pid_, -1)) {
}

background_run::~background_run() {
  if (pid_ > 0) {
    kill(-pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (!scratch_.empty()) {
    std::error_code ec;
    fs::remove_all(scratch_, ec);
  }
}

void background_run::signal(int sig, bool group) const {
  REQUIRE(pid_ > 0);
  REQUIRE(kill(group ? -pid_ : pid_, sig) == 0);
}

std::optional<run_result>
background_run::wait(std::chrono::milliseconds limit) {
  REQUIRE(pid_ > 0);
  int status = 0;
  const bool done = wait_until(
    [&] {
      pid_t rc = 0;
      while ((rc = waitpid(pid_, &status, WNOHANG)) < 0 && errno == EINTR) {
      }
      return rc == pid_;
    },
    limit);
  if (!done) {
    return std::nullopt;
  }
  pid_ = -1;
  auto r = collect(decode_status(status), scratch_);
  scratch_.clear();
  return r;
}

std::string background_run::output() const {
  return slurp(scratch_ / "out") + "\n--- stderr\n" + slurp(scratch_ / "err");
}

bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return true;
}

temp_dir::temp_dir() : dir_(make_temp_dir("tdd-e2e-dir.")) {}

temp_dir::~temp_dir() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

} // namespace tdd::test
