#include "exec/process_env.hpp"

#include "exec/command.hpp"
#include "exec/process_fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

using namespace tdd;
using test::process_fixture;

namespace {

bool contains(const std::vector<std::string>& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

} // namespace

TEST_CASE("make_environment: ours, plus env, minus env_remove") {
  ::setenv("TDD_ENV_A", "a", 1);
  ::setenv("TDD_ENV_B", "b", 1);
  exec::command_spec spec;
  spec.env = {{"TDD_ENV_A", "override"}, {"TDD_ENV_C", "c=with=equals"}};
  spec.env_remove = {"TDD_ENV_B", "TDD_ENV_NEVER_SET"};
  const auto env = exec::make_environment(spec);
  CHECK(contains(env, "TDD_ENV_A=override"));
  CHECK(contains(env, "TDD_ENV_C=c=with=equals"));
  CHECK_FALSE(contains(env, "TDD_ENV_B=b"));
  CHECK(std::is_sorted(env.begin(), env.end()));
  ::unsetenv("TDD_ENV_A");
  ::unsetenv("TDD_ENV_B");
}

TEST_CASE_FIXTURE(process_fixture, "find_program: PATH order, executables "
                                   "only") {
  std::filesystem::create_directory(dir.file("a"));
  std::filesystem::create_directory(dir.file("b"));
  std::ofstream{dir.file("a/tool")} << "not executable\n";
  script("b/tool", "true");
  const std::vector<std::string> env{"PATH=" + dir.file("a") + ":"
                                     + dir.file("b")};
  CHECK(exec::find_program("tool", env, "").path == dir.file("b/tool"));
  CHECK(exec::find_program("/bin/x", env, "").path == "/bin/x");
  const std::vector<std::string> only_a{"PATH=" + dir.file("a")};
  CHECK(exec::find_program("tool", only_a, "").error
        == "program \"tool\" found in PATH but not executable");
  // A relative PATH entry is relative to the child's cwd.
  CHECK(exec::find_program("tool", {"PATH=b"}, dir.path().string()).path
        == dir.file("b") + "/tool");
}

TEST_CASE_FIXTURE(process_fixture, "check_directory") {
  CHECK(exec::check_directory(dir.path().string()).empty());
  std::ofstream{dir.file("f")} << "x";
  CHECK(exec::check_directory(dir.file("f"))
        == "cannot chdir to " + dir.file("f") + ": Not a directory");
}

TEST_CASE("make_environment: our secrets never reach a child") {
  ::setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/SECRET", 1);
  const auto env = exec::make_environment(exec::command_spec{});
  for (const auto& entry : env) {
    CHECK(entry.find("SECRET") == std::string::npos);
  }
  ::unsetenv("SLACK_WEBHOOK_URL");
}
