#pragma once

// Shared by exec/git*.cpp only: the raw git call, before a non-zero exit is
// turned into an error, and small text helpers.

#include "exec/git.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tdd::exec::git::internal {

/// One finished git command.
struct call_result {
  bool ran = false;   ///< started and exited on its own (no timeout)
  int exit_code = -1; ///< meaningful when `ran`
  std::string output; ///< stdout and stderr together
  std::string error;  ///< the error text for callers, set when !ran or
                      ///< exit_code != 0
};

/// Runs `git -C dir args...` with our environment; never throws.
call_result call(const std::string& dir, const std::vector<std::string>& args,
                 const std::string& input = {});

/// `-c user.name=… -c user.email=…` for whatever identity part `dir`'s
/// config lacks (environment variables still win over these).
result<std::vector<std::string>> identity_args(const std::string& dir);

/// `git_args` prefixed with identity_args() and the settings that make
/// rebase/merge deterministic whatever the user's config says (no
/// autostash, no rerere, no update-refs).
result<std::vector<std::string>> writer_args(const std::string& dir,
                                             std::vector<std::string> git_args);

/// `text` without trailing newlines (and carriage returns).
std::string trim_newlines(std::string text);

/// Splits `text` on `sep`, dropping empty pieces.
std::vector<std::string> split(std::string_view text, char sep);

/// A failed result<T> carrying `error` (never empty, so it never reads
/// as success).
template <class T> result<T> failure(std::string error) {
  result<T> r;
  r.error = error.empty() ? std::string{"git: failed"} : std::move(error);
  return r;
}

template <class T> result<T> success(T value) {
  result<T> r;
  r.value = std::move(value);
  return r;
}

} // namespace tdd::exec::git::internal
