#pragma once

// What a child is started with: its environment and the file its argv[0]
// names. Split from child_process.cpp so both can be tested directly.

#include <string>
#include <vector>

namespace tdd::exec {

struct command_spec;

/// Environment variables holding secrets of ours, never passed to a child.
inline constexpr const char* secret_variables[] = {"SLACK_WEBHOOK_URL"};

/// Our environment plus `spec.env` (overriding) minus `spec.env_remove`
/// and `secret_variables`, as "NAME=value" entries sorted by name.
std::vector<std::string> make_environment(const command_spec& spec);

/// The executable `name` stands for: itself when it contains a '/'
/// (relative to the child's cwd), else the first executable regular file
/// in the PATH of `environment`.
struct program_lookup {
  std::string path;  ///< "" if not found
  std::string error; ///< why not, e.g. `program "x" not found in PATH`
};
program_lookup find_program(const std::string& name,
                            const std::vector<std::string>& environment,
                            const std::string& cwd);

/// "" if `dir` can be the child's working directory, else
/// "cannot chdir to <dir>: <reason>".
std::string check_directory(const std::string& dir);

/// strerror(`err`), thread-safe.
std::string error_text(int err);

} // namespace tdd::exec
