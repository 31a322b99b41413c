// Work-in-progress commits of the stage runner, and its log file.

#include "exec/stage_runner_steps.hpp"

#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

namespace tdd::exec::detail {

namespace {

/// `-c user.name=…` / `-c user.email=…` for what `dir`'s config lacks, so
/// WIP commits work where git has no identity, like git::commit_all.
/// GIT_AUTHOR_* / GIT_COMMITTER_* in the environment still win.
std::vector<std::string> identity_fallback(const std::string& dir) {
  std::vector<std::string> args;
  if (!git::run(dir, {"config", "--get", "user.name"})) {
    args.insert(args.end(),
                {"-c", std::string{"user.name="} + git::fallback_name});
  }
  if (!git::run(dir, {"config", "--get", "user.email"})) {
    args.insert(args.end(),
                {"-c", std::string{"user.email="} + git::fallback_email});
  }
  return args;
}

/// Splits on `sep`, keeping empty pieces (an empty trailer value is one).
std::vector<std::string> fields_of(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (auto end = text.find(sep); end != std::string::npos;
       end = text.find(sep, start)) {
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  out.push_back(text.substr(start));
  return out;
}

bool is_commit_id(const std::string& text) {
  return (text.size() == 40 || text.size() == 64)
         && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

/// One record per commit: id, WIP key, base, task key, separated by \x01
/// (several values of one trailer are joined by \x02, so they never equal
/// a key).
std::string chain_format() {
  const auto trailer = [](const char* key) {
    return std::string{"%(trailers:key="} + key + ",valueonly,separator=%x02)";
  };
  return "--format=%H%x01" + trailer(wip_trailer) + "%x01"
         + trailer(base_trailer) + "%x01" + trailer(git::task_trailer);
}

} // namespace

git::result<wip_chain> read_wip_chain(const std::string& dir,
                                      const std::string& key,
                                      const std::string& head) {
  git::result<wip_chain> out;
  const auto log = git::run(
    dir, {"log", "--no-show-signature", "--first-parent", "-z", "-n",
          std::to_string(wip_search_depth), chain_format(), head, "--"});
  if (!log) {
    out.error = log.error;
    return out;
  }
  out.value.base = head;
  const auto records = fields_of(log.value, '\0');
  for (size_t i = 0; i < records.size(); ++i) {
    const auto fields = fields_of(records[i], '\x01');
    if (fields.size() != 4) {
      continue;
    }
    if (i == 0 && fields[1].empty() && fields[3] == key) {
      out.value.is_task_commit = true;
    }
    if (fields[1] == key && is_commit_id(fields[2])) {
      out.value.base = fields[2];
      break;
    }
  }
  return out;
}

git::result<std::string> commit_wip(const std::string& dir,
                                    const std::string& key,
                                    const std::string& stage, int attempt,
                                    const std::string& base) {
  git::result<std::string> out;
  if (const auto add = git::run(dir, {"add", "--all"}); !add) {
    out.error = add.error;
    return out;
  }
  // No hooks (a pre-commit hook running the tests would refuse red's
  // failing test) and no signing (no pinentry in a worker); the task
  // commit that replaces these runs hooks as usual.
  auto args = identity_fallback(dir);
  args.insert(args.end(),
              {"-c", "commit.gpgSign=false", "commit", "--quiet", "--no-verify",
               "--allow-empty", "--cleanup=verbatim", "-F", "-"});
  const auto message = "tdd-orchestrator: " + key + " " + stage + " attempt "
                       + std::to_string(attempt) + " (work in progress)\n\n"
                       + wip_trailer + ": " + key + "\n" + base_trailer + ": "
                       + base + "\n";
  if (const auto commit = git::run(dir, args, message); !commit) {
    out.error = commit.error;
    return out;
  }
  return git::resolve_commit(dir, "HEAD");
}

void append_log(const std::string& path, const std::string& text) {
  if (path.empty()) {
    return;
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path{path}.parent_path(),
                                      ec);
  std::ofstream out{path, std::ios::binary | std::ios::app};
  out << text;
}

} // namespace tdd::exec::detail
