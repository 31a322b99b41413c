#include "exec/process_env.hpp"

#include "exec/command.hpp"
#include "exec/watchdog.hpp"

#include <sys/stat.h>
#include <unistd.h> // also declares `environ` (_GNU_SOURCE)

#include <cerrno>
#include <map>
#include <system_error>

namespace tdd::exec {

namespace {

// What glibc's execvp uses when PATH is unset.
constexpr const char* default_path = "/bin:/usr/bin";

std::string lookup(const std::vector<std::string>& environment,
                   const std::string& name, const std::string& fallback) {
  const auto prefix = name + "=";
  for (const auto& entry : environment) {
    if (entry.compare(0, prefix.size(), prefix) == 0) {
      return entry.substr(prefix.size());
    }
  }
  return fallback;
}

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// `dir`/`name`, with a relative `dir` taken relative to the child's cwd.
std::string candidate(std::string dir, const std::string& name,
                      const std::string& cwd) {
  if (dir.empty()) {
    dir = "."; // POSIX: an empty PATH entry is the current directory
  }
  if (dir.front() != '/' && !cwd.empty()) {
    dir = cwd + "/" + dir;
  }
  return dir + "/" + name;
}

std::string chdir_error(const std::string& dir, int err) {
  return "cannot chdir to " + dir + ": " + error_text(err);
}

} // namespace

std::vector<std::string> make_environment(const command_spec& spec) {
  std::map<std::string, std::string> vars;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string text = *entry;
    const auto eq = text.find('=');
    if (eq != std::string::npos && eq > 0) {
      vars.emplace(text.substr(0, eq), text.substr(eq + 1)); // first wins
    }
  }
  for (const auto& name : spec.env_remove) {
    vars.erase(name);
  }
  // Our own secrets never reach a child: an agent that prints its
  // environment would write them into the attempt logs (SPEC.md 8).
  for (const auto* name : secret_variables) {
    vars.erase(name);
  }
  for (const auto& [name, value] : spec.env) {
    vars.insert_or_assign(name, value);
  }
  // The watchdog finds by this marker what left its process group; no
  // watched spec may drop or change it.
  if (auto token = session_token(); spec.watched && !token.empty()) {
    vars.insert_or_assign(session_variable, std::move(token));
  }
  std::vector<std::string> result;
  result.reserve(vars.size());
  for (const auto& [name, value] : vars) {
    auto& entry = result.emplace_back(name);
    entry += '=';
    entry += value;
  }
  return result;
}

program_lookup find_program(const std::string& name,
                            const std::vector<std::string>& environment,
                            const std::string& cwd) {
  if (name.empty()) {
    return {"", "empty program name"};
  }
  if (name.find('/') != std::string::npos) {
    return {name, ""}; // posix_spawn resolves it after the chdir
  }
  const auto path = lookup(environment, "PATH", default_path);
  bool denied = false;
  size_t begin = 0;
  while (begin <= path.size()) {
    auto end = path.find(':', begin);
    if (end == std::string::npos) {
      end = path.size();
    }
    auto file = candidate(path.substr(begin, end - begin), name, cwd);
    if (is_regular_file(file)) {
      if (::access(file.c_str(), X_OK) == 0) {
        return {std::move(file), ""};
      }
      denied = true;
    }
    begin = end + 1;
  }
  if (denied) {
    return {"", "program \"" + name + "\" found in PATH but not executable"};
  }
  return {"", "program \"" + name + "\" not found in PATH"};
}

std::string check_directory(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return chdir_error(dir, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return chdir_error(dir, ENOTDIR);
  }
  if (::access(dir.c_str(), X_OK) != 0) {
    return chdir_error(dir, errno);
  }
  return "";
}

std::string error_text(int err) {
  return std::generic_category().message(err);
}

} // namespace tdd::exec
