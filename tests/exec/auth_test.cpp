// exec/auth: HMAC-SHA256 against RFC 4231, the signed message, random
// challenges, constant-time comparison and reading the secret file (real
// files in a temporary directory).

#include "exec/auth.hpp"

#include "store/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

using namespace tdd::exec;
using tdd::test::temp_dir;

namespace {

constexpr const char* secret_text = "s3cr3t-TOKEN-value";

/// A file `name` in `dir` with `contents` and permission bits `mode`; its
/// path.
std::string write(const temp_dir& dir, const std::string& name,
                  const std::string& contents, mode_t mode = 0600) {
  const auto file = dir.file(name);
  {
    std::ofstream out{file, std::ios::binary};
    REQUIRE(out.good());
    out << contents;
  }
  REQUIRE(::chmod(file.c_str(), mode) == 0);
  return file;
}

bool is_lower_hex(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

} // namespace

TEST_CASE("auth: HMAC-SHA256 matches RFC 4231 test cases 1 and 2") {
  CHECK(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There")
        == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?")
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("auth: the signed message is version line then challenge then "
          "host") {
  CHECK(auth_message("abc123", "node-1:4242")
        == "tdd-orchestrator node v1\nabc123\nnode-1:4242");
  CHECK(auth_message("", "") == "tdd-orchestrator node v1\n\n");
}

TEST_CASE("auth: a random challenge is 64 lowercase hex characters and "
          "fresh each time") {
  const auto first = random_challenge();
  const auto second = random_challenge();
  CHECK(first.size() == 64);
  CHECK(second.size() == 64);
  CHECK(is_lower_hex(first));
  CHECK(is_lower_hex(second));
  CHECK(first != second);
}

TEST_CASE("auth: constant-time equality") {
  CHECK(equal_constant_time("abcdef", "abcdef"));
  CHECK_FALSE(equal_constant_time("abcdef", "abcdeg"));
  CHECK_FALSE(equal_constant_time("abcdef", "abcde"));
  CHECK_FALSE(equal_constant_time("", "a"));
  CHECK(equal_constant_time("", ""));
}

TEST_CASE("auth: a secret file loses its trailing newline") {
  const temp_dir dir;
  const auto path = write(dir, "secret", std::string{secret_text} + "\n");
  const auto read = read_secret_file(path);
  CHECK(read.secret == secret_text);
  CHECK(read.error.empty());
  CHECK(read.warning.empty());

  const auto spaced = read_secret_file(write(dir, "spaced", " a b \t\r\n\n"));
  CHECK(spaced.secret == " a b");
}

TEST_CASE("auth: a missing secret file is an error that names the path") {
  const temp_dir dir;
  const auto path = dir.file("missing");
  const auto read = read_secret_file(path);
  CHECK(read.secret.empty());
  CHECK(read.error
        == "cannot read secret file " + path + ": No such file or directory");
}

TEST_CASE("auth: an empty or whitespace-only secret file is an error") {
  const temp_dir dir;
  const auto empty = write(dir, "empty", "");
  auto read = read_secret_file(empty);
  CHECK(read.secret.empty());
  CHECK(read.error == "secret file " + empty + " is empty");

  const auto blank = write(dir, "blank", " \n\t\r\n");
  read = read_secret_file(blank);
  CHECK(read.secret.empty());
  CHECK(read.error == "secret file " + blank + " is empty");
}

TEST_CASE("auth: a directory is not a secret file") {
  const temp_dir dir;
  const auto path = dir.file("sub");
  REQUIRE(std::filesystem::create_directory(path));
  const auto read = read_secret_file(path);
  CHECK(read.secret.empty());
  CHECK(read.error == "cannot read secret file " + path + ": Is a directory");
}

TEST_CASE("auth: a secret file others can read gives a warning") {
  const temp_dir dir;
  const auto open = write(dir, "open", secret_text, 0644);
  auto read = read_secret_file(open);
  CHECK(read.secret == secret_text);
  CHECK(read.error.empty());
  CHECK(read.warning
        == "secret file " + open
             + " is readable by other users (mode 0644): chmod 600 " + open);

  const auto closed = write(dir, "closed", secret_text, 0600);
  read = read_secret_file(closed);
  CHECK(read.secret == secret_text);
  CHECK(read.warning.empty());

  // Only group and other bits count: the owner's do not.
  read = read_secret_file(write(dir, "owner", secret_text, 0700));
  CHECK(read.warning.empty());
  read = read_secret_file(write(dir, "group", secret_text, 0620));
  CHECK_FALSE(read.warning.empty());
}

TEST_CASE("auth: the secret never appears in an error or a warning") {
  const temp_dir dir;
  const auto warned = read_secret_file(write(dir, "open", secret_text, 0644));
  REQUIRE_FALSE(warned.warning.empty());
  CHECK(warned.warning.find(secret_text) == std::string::npos);

  // A file that holds the secret but is not readable as a whole: too big.
  const auto huge = std::string{secret_text} + std::string(70 * 1024, 'x');
  const auto too_big = read_secret_file(write(dir, "huge", huge));
  CHECK(too_big.secret.empty());
  REQUIRE_FALSE(too_big.error.empty());
  CHECK(too_big.error.find(secret_text) == std::string::npos);
  CHECK(too_big.warning.empty());

  const auto blank = read_secret_file(write(dir, "blank", "\n"));
  REQUIRE_FALSE(blank.error.empty());
  CHECK(blank.error.find(secret_text) == std::string::npos);
}
