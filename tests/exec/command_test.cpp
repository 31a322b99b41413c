#include "exec/command.hpp"

#include "exec/process_fixture.hpp"

#include <doctest/doctest.h>
#include <sys/resource.h>

#include <filesystem>
#include <string>

using namespace tdd;
using namespace std::chrono_literals;
using test::process_fixture;

namespace {

long peak_rss_kb() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

} // namespace

TEST_CASE_FIXTURE(process_fixture, "exit codes: status, or 128 + signal") {
  CHECK(exec::run_command(sh("exit 0")).exit_code == 0);
  CHECK(exec::run_command(sh("exit 0")).ok());
  const auto three = exec::run_command(sh("exit 3"));
  CHECK(three.exit_code == 3);
  CHECK_FALSE(three.ok());
  CHECK_FALSE(three.spawn_failed);
  CHECK(exec::run_command(sh("kill -9 $$")).exit_code == 128 + 9);
  CHECK(test::has_no_children());
}

TEST_CASE_FIXTURE(process_fixture, "stdin is delivered, then closed") {
  auto spec = sh("cat");
  spec.stdin_data = "hello\nworld";
  CHECK(exec::run_command(spec).output == "hello\nworld");
  spec.stdin_data.clear(); // cat must still see EOF, not hang
  CHECK(exec::run_command(spec).output.empty());
}

TEST_CASE_FIXTURE(process_fixture,
                  "big stdin and stdout at once: no deadlock") {
  auto spec = sh("cat");
  spec.stdin_data.assign(4 << 20, 'x');
  spec.stdin_data += "end";
  spec.capture_limit = spec.stdin_data.size();
  const auto result = exec::run_command(spec);
  CHECK(result.ok());
  CHECK(result.output == spec.stdin_data);
}

TEST_CASE_FIXTURE(process_fixture, "a child that ignores its stdin") {
  auto spec = sh("exit 5"); // exits before reading: EPIPE, not SIGPIPE
  spec.stdin_data.assign(1 << 20, 'x');
  CHECK(exec::run_command(spec).exit_code == 5);
}

TEST_CASE_FIXTURE(process_fixture,
                  "stdout and stderr are captured and logged") {
  auto spec = sh("echo out; echo err >&2; echo out2");
  spec.log_path = dir.file("logs/deeper/run.log"); // parents get created
  const auto first = exec::run_command(spec);
  CHECK(first.ok());
  CHECK(first.output == "out\nerr\nout2\n");
  CHECK(first.error.empty());
  CHECK(read("logs/deeper/run.log") == "out\nerr\nout2\n");
  exec::run_command(spec); // appends
  CHECK(read("logs/deeper/run.log") == "out\nerr\nout2\nout\nerr\nout2\n");
}

TEST_CASE_FIXTURE(process_fixture, "only the tail stays in memory, the log "
                                   "has everything") {
  auto spec = sh("seq 1 20000");
  spec.capture_limit = 100;
  spec.log_path = dir.file("seq.log");
  const auto result = exec::run_command(spec);
  std::string expected;
  for (int i = 1; i <= 20000; ++i) {
    expected += std::to_string(i) + "\n";
  }
  CHECK(read("seq.log") == expected);
  CHECK(result.output == expected.substr(expected.size() - 100));
}

TEST_CASE_FIXTURE(process_fixture, "50 MB of output cost only capture_limit") {
  auto spec = sh("head -c 52428800 /dev/zero; echo tail");
  const auto peak_before = peak_rss_kb();
  const auto result = exec::run_command(spec);
  CHECK(result.ok());
  REQUIRE(result.output.size() == spec.capture_limit);
  CHECK(result.output.front() == '\0');
  CHECK(result.output.substr(result.output.size() - 5) == "tail\n");
  CHECK(peak_rss_kb() - peak_before < 16 * 1024); // 50 MB never held
}

TEST_CASE_FIXTURE(process_fixture, "environment: added, overridden, removed") {
  ::setenv("TDD_TEST_KEEP", "kept", 1);
  ::setenv("TDD_TEST_DROP", "dropped", 1);
  auto spec = sh("echo \"$TDD_TEST_KEEP|${TDD_TEST_DROP-unset}|$TDD_NEW\"");
  spec.env = {{"TDD_NEW", "new"}};
  spec.env_remove = {"TDD_TEST_DROP"};
  CHECK(exec::run_command(spec).output == "kept|unset|new\n");
  spec.env["TDD_TEST_KEEP"] = "overridden";
  CHECK(exec::run_command(spec).output == "overridden|unset|new\n");
  ::unsetenv("TDD_TEST_KEEP");
  ::unsetenv("TDD_TEST_DROP");
}

TEST_CASE_FIXTURE(process_fixture, "argv[0] is looked up in the child's PATH") {
  std::filesystem::create_directory(dir.file("bin"));
  script("bin/tdd-test-tool", "echo found");
  exec::command_spec spec;
  spec.argv = {"tdd-test-tool"};
  spec.env = {{"PATH", "/nonexistent:" + dir.file("bin")}};
  CHECK(exec::run_command(spec).output == "found\n");
  spec.argv = {"sh", "-c", "echo $0"}; // the usual PATH when not overridden
  spec.env.clear();
  CHECK(exec::run_command(spec).output == "sh\n");
}

TEST_CASE_FIXTURE(process_fixture, "cwd, and a relative program in it") {
  script("here.sh", "pwd -P");
  exec::command_spec spec;
  spec.argv = {"./here.sh"};
  spec.cwd = dir.path().string();
  const auto canonical = std::filesystem::canonical(dir.path()).string();
  CHECK(exec::run_command(spec).output == canonical + "\n");
}

TEST_CASE_FIXTURE(process_fixture, "argv is passed literally, no shell") {
  const auto args
    = script("args.sh", R"(for a in "$@"; do printf '[%s]\n' "$a"; done)");
  exec::command_spec spec;
  spec.argv
    = {args,       "two words", "\"quoted\"", "$(echo injected)", "`id`",
       "'single'", "*",         "; rm -rf x", "back\\slash",      ""};
  CHECK(exec::run_command(spec).output
        == "[two words]\n[\"quoted\"]\n[$(echo injected)]\n[`id`]\n"
           "['single']\n[*]\n[; rm -rf x]\n[back\\slash]\n[]\n");
}

TEST_CASE_FIXTURE(process_fixture, "spawn failures say why, exit code 127") {
  exec::command_spec spec;
  spec.argv = {"tdd-no-such-program"};
  auto result = exec::run_command(spec);
  CHECK(result.spawn_failed);
  CHECK_FALSE(result.ok());
  CHECK(result.exit_code == 127);
  CHECK(result.error == "program \"tdd-no-such-program\" not found in PATH");

  spec.argv = {dir.file("missing.sh")};
  CHECK(exec::run_command(spec).error
        == "program \"" + dir.file("missing.sh") + "\" not found");

  std::ofstream{dir.file("plain.txt")} << "echo hi\n"; // no x bit
  spec.argv = {dir.file("plain.txt")};
  result = exec::run_command(spec);
  CHECK(result.spawn_failed);
  CHECK(result.error.find("is not executable") != std::string::npos);

  spec.argv = {"/bin/true"};
  spec.cwd = "/nonexistent/tdd";
  result = exec::run_command(spec);
  CHECK(result.spawn_failed);
  CHECK(result.error
        == "cannot chdir to /nonexistent/tdd: No such file or directory");
  CHECK(test::has_no_children());
}

TEST_CASE_FIXTURE(process_fixture, "an unwritable log is a spawn failure") {
  std::ofstream{dir.file("file")} << "x";
  auto spec = sh("echo hi");
  spec.log_path = dir.file("file/run.log"); // parent is a file
  const auto result = exec::run_command(spec);
  CHECK(result.spawn_failed);
  CHECK(result.error.find("cannot") == 0);
}

TEST_CASE_FIXTURE(process_fixture, "duration is measured") {
  const auto result = exec::run_command(sh("sleep 0.2"));
  CHECK(result.duration >= 200ms);
  CHECK(result.duration < 1500ms);
}
