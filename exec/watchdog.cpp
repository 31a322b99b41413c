#include "exec/watchdog.hpp"

#include "core/log.hpp"
#include "exec/process_env.hpp"
#include "exec/unique_fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

namespace tdd::exec {

namespace {

/// How often the watchdog looks for marked processes again after killing
/// some (a process may fork while it dies); bounded so it always ends.
constexpr int max_sweeps = 20;
/// How long one sweep waits for the processes it killed to be gone.
constexpr int sweep_wait_ms = 100;

/// The process-wide link to the active watchdog, used by every thread that
/// starts or reaps a child.
struct registry {
  std::mutex mutex;
  int fd = -1; ///< our end of the watchdog's socket; -1: no watchdog
  std::string token;
  bool warned = false; ///< a failed record was logged already
};

registry& the_registry() {
  static registry r;
  return r;
}

/// Sends "+PGID\n" or "-PGID\n". One short send on a stream socket is
/// written whole or not at all; MSG_NOSIGNAL: a dead watchdog is EPIPE,
/// not a SIGPIPE that would kill us.
void send_record(char sign, pid_t pgid) noexcept {
  std::array<char, 32> line{};
  const int n = std::snprintf(line.data(), line.size(), "%c%d\n", sign,
                              static_cast<int>(pgid));
  auto& r = the_registry();
  const std::lock_guard<std::mutex> lock{r.mutex};
  if (r.fd < 0 || n <= 0) {
    return;
  }
  ssize_t rc = 0;
  do {
    rc = ::send(r.fd, line.data(), static_cast<size_t>(n), MSG_NOSIGNAL);
  } while (rc < 0 && errno == EINTR);
  if (rc != n && !r.warned) {
    // Degraded: children still carry the marker, which the watchdog (if it
    // is alive at all) finds without the record.
    r.warned = true;
    core::log_line("warn", "watchdog", 0, "record_lost",
                   {{"error", rc < 0 ? error_text(errno) : "short send"}});
  }
}

/// "<pid>-<16 hex digits>": the pid makes it unique among live sessions,
/// the random part among sessions over time (pids are reused).
std::string make_token() {
  uint64_t random = 0;
  if (::getrandom(&random, sizeof(random), GRND_NONBLOCK)
      != static_cast<ssize_t>(sizeof(random))) {
    random = reinterpret_cast<uintptr_t>(&random); // ASLR: better than 0
  }
  std::array<char, 48> text{};
  std::snprintf(text.data(), text.size(), "%d-%016llx",
                static_cast<int>(::getpid()),
                static_cast<unsigned long long>(random));
  return text.data();
}

/// Threads of this process per /proc/self/status; 0 if unknown.
int thread_count() {
  std::ifstream in{"/proc/self/status"};
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Threads:", 0) == 0) {
      return std::atoi(line.c_str() + 8);
    }
  }
  return 0;
}

// ---- The watchdog process -------------------------------------------------

/// Closes every descriptor but `fd` (it must not keep the run lock or the
/// database open), puts /dev/null on 0, 1 and 2; returns where `fd` is now.
int keep_only(int fd) noexcept {
  if (fd <= STDERR_FILENO) {
    if (const int moved = ::fcntl(fd, F_DUPFD, STDERR_FILENO + 1); moved >= 0) {
      fd = moved; // the old one is closed below
    }
  }
  const auto keep = static_cast<unsigned>(fd);
  if ((keep > 0 && ::close_range(0, keep - 1, 0) != 0)
      || ::close_range(keep + 1, ~0U, 0) != 0) {
    const long max = ::sysconf(_SC_OPEN_MAX); // kernel < 5.9
    for (long i = 0; i < (max > 0 ? max : 1024); ++i) {
      if (i != fd) {
        ::close(static_cast<int>(i));
      }
    }
  }
  const int null = ::open("/dev/null", O_RDWR); // lowest free: 0
  if (null == STDIN_FILENO) {
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
  }
  return fd;
}

/// Applies one record ("+PGID" or "-PGID") to `groups`.
void apply_record(std::string_view line, std::set<pid_t>& groups) {
  if (line.size() < 2 || (line[0] != '+' && line[0] != '-')) {
    return;
  }
  pid_t pgid = 0;
  const auto* end = line.data() + line.size();
  const auto [ptr, ec] = std::from_chars(line.data() + 1, end, pgid);
  // Never 0 or 1: kill(0) is our own group, kill(-1) everything we may.
  if (ec != std::errc{} || ptr != end || pgid <= 1) {
    return;
  }
  if (line[0] == '+') {
    groups.insert(pgid);
  } else {
    groups.erase(pgid);
  }
}

/// Reads records until EOF: the groups recorded and not forgotten.
std::set<pid_t> read_groups(int fd) {
  std::set<pid_t> groups;
  std::string pending;
  std::array<char, 4096> buf{};
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return groups; // EOF (or a broken socket: the same to us)
    }
    pending.append(buf.data(), static_cast<size_t>(n));
    size_t start = 0;
    for (auto nl = pending.find('\n'); nl != std::string::npos;
         nl = pending.find('\n', start)) {
      apply_record(std::string_view{pending}.substr(start, nl - start), groups);
      start = nl + 1;
    }
    pending.erase(0, start);
  }
}

/// Whether the environment of `pid` holds the entry `marker` exactly.
bool has_marker(pid_t pid, const std::string& marker) {
  const auto path = "/proc/" + std::to_string(pid) + "/environ";
  const unique_fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (!fd.is_open()) {
    return false; // gone, or not ours to read (then not ours at all)
  }
  std::string env;
  std::array<char, 4096> buf{};
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    env.append(buf.data(), static_cast<size_t>(n));
  }
  for (size_t pos = 0; pos < env.size();) {
    auto end = env.find('\0', pos);
    end = end == std::string::npos ? env.size() : end;
    if (env.compare(pos, end - pos, marker) == 0) {
      return true;
    }
    pos = end + 1;
  }
  return false;
}

/// Every process id in /proc except ours.
std::vector<pid_t> list_processes() {
  std::vector<pid_t> pids;
  const std::unique_ptr<DIR, int (*)(DIR*)> dir{::opendir("/proc"),
                                                &::closedir};
  if (!dir) {
    return pids;
  }
  const pid_t self = ::getpid();
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string_view name = entry->d_name;
    pid_t pid = 0;
    const auto [ptr, ec]
      = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec == std::errc{} && ptr == name.data() + name.size() && pid > 1
        && pid != self) {
      pids.push_back(pid);
    }
  }
  return pids;
}

/// SIGKILLs every process carrying `marker`, then waits a little for them
/// to die (a dead process has no environment left to match). A pidfd
/// taken before the check makes sure the process checked is the one
/// killed, even if its pid is reused meanwhile. Returns how many it killed.
int sweep_once(const std::string& marker) {
  std::vector<unique_fd> dying;
  int killed = 0;
  for (const pid_t pid : list_processes()) {
    unique_fd pidfd{static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))};
    if (!pidfd.is_open() && errno != ENOSYS) {
      continue; // gone already
    }
    if (!has_marker(pid, marker)) {
      continue;
    }
    const long rc
      = pidfd.is_open()
          ? ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0)
          : ::kill(pid, SIGKILL);
    if (rc == 0) {
      ++killed;
      dying.push_back(std::move(pidfd));
    }
  }
  int wait_ms = sweep_wait_ms; // for all of them together, roughly
  for (const auto& fd : dying) {
    pollfd p{fd.get(), POLLIN, 0};
    if (fd.is_open() && ::poll(&p, 1, wait_ms) == 0) {
      wait_ms = 0;
    }
  }
  return killed;
}

/// The watchdog process: records until EOF, then kills. Never returns.
[[noreturn]] void watch(int fd, const std::string& token) noexcept {
  ::setpgid(0, 0); // out of the orchestrator's group: a kill -9 of it
                   // (or Ctrl-C at the terminal) must not reach us
  ::prctl(PR_SET_NAME, "tdd-watchdog");
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN; // NOLINT: glibc's union member
  for (const int sig : {SIGINT, SIGHUP, SIGPIPE}) {
    ::sigaction(sig, &ignore, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr); // the parent may block some
  fd = keep_only(fd);
  for (const pid_t pgid : read_groups(fd)) {
    ::kill(-pgid, SIGKILL);
  }
  const auto marker = std::string{session_variable} + "=" + token;
  for (int i = 0; i < max_sweeps && sweep_once(marker) > 0; ++i) {
  }
  ::_exit(0);
}

} // namespace

std::optional<watchdog> watchdog::start(std::string& error) {
  auto& r = the_registry();
  {
    const std::lock_guard<std::mutex> lock{r.mutex};
    if (r.fd >= 0) {
      error = "a watchdog is running already";
      return std::nullopt;
    }
  }
  if (const int n = thread_count(); n > 1) {
    error = "the watchdog must start before any thread (" + std::to_string(n)
            + " running)";
    return std::nullopt;
  }
  std::array<int, 2> fds{-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()) != 0) {
    error = "cannot create the watchdog's socket: " + error_text(errno);
    return std::nullopt;
  }
  unique_fd ours{fds[0]};
  unique_fd theirs{fds[1]};
  auto token = make_token();
  const pid_t pid = ::fork();
  if (pid < 0) {
    error = "cannot start the watchdog: " + error_text(errno);
    return std::nullopt;
  }
  if (pid == 0) {
    ours.reset();
    watch(theirs.release(), token);
  }
  const std::lock_guard<std::mutex> lock{r.mutex};
  r.fd = ours.release();
  r.token = token;
  r.warned = false;
  return watchdog{pid, std::move(token)};
}

watchdog::watchdog(pid_t pid, std::string token) noexcept
    : pid_(pid), token_(std::move(token)) {}

watchdog::watchdog(watchdog&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), token_(std::move(other.token_)) {}

watchdog::~watchdog() {
  if (pid_ < 0) {
    return;
  }
  {
    auto& r = the_registry();
    const std::lock_guard<std::mutex> lock{r.mutex};
    ::close(r.fd); // EOF for the watchdog
    r.fd = -1;
    r.token.clear();
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void watch_group(pid_t pgid) noexcept {
  send_record('+', pgid);
}

void unwatch_group(pid_t pgid) noexcept {
  send_record('-', pgid);
}

std::string session_token() {
  auto& r = the_registry();
  const std::lock_guard<std::mutex> lock{r.mutex};
  return r.token;
}

} // namespace tdd::exec
