#include "e2e/harness.hpp"

#include <doctest/doctest.h>

using tdd::test::temp_dir;
using tdd::test::temp_repo;

TEST_CASE("init creates the state directory, database, config and exclude") {
  temp_repo repo;
  const auto r = repo.orchestrator({"init"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(std::filesystem::exists(repo.dir() / ".orchestrator/orchestrator.db"));
  CHECK(std::filesystem::exists(repo.dir() / "orchestrator.yaml"));
  CHECK(repo.read(".git/info/exclude").find("/.orchestrator/")
        != std::string::npos);
  // git must not see the state directory.
  const auto st = repo.run({"git", "status", "--porcelain"});
  CHECK(st.out.find(".orchestrator") == std::string::npos);
  CHECK(r.out.find("created") != std::string::npos);
}

TEST_CASE("init is idempotent and never overwrites the user's config") {
  temp_repo repo;
  REQUIRE(repo.orchestrator({"init"}).code == 0);
  repo.write("orchestrator.yaml", "workers: 7\n");
  const auto again = repo.orchestrator({"init", "--json"});
  REQUIRE_MESSAGE(again.code == 0, again.err);
  const auto doc = again.json();
  CHECK(doc["created"].empty());
  CHECK(doc["existing"].size() == 4);
  CHECK(repo.read("orchestrator.yaml") == "workers: 7\n");
  const auto exclude = repo.read(".git/info/exclude");
  CHECK(exclude.find("/.orchestrator/") == exclude.rfind("/.orchestrator/"));
}

TEST_CASE("init from a subdirectory uses the repository root") {
  temp_repo repo;
  repo.write("src/deep/file.txt", "x");
  const auto r = repo.orchestrator({"init"}, {}, repo.dir() / "src/deep");
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(std::filesystem::exists(repo.dir() / ".orchestrator/orchestrator.db"));
  CHECK_FALSE(std::filesystem::exists(repo.dir() / "src/deep/.orchestrator"));
}

TEST_CASE("init outside a git repository is refused with exit 2") {
  temp_dir dir;
  temp_repo repo; // only for its runner
  const auto r = repo.orchestrator({"init"}, {}, dir.path());
  CHECK(r.code == 2);
  CHECK(r.err.find("not a git repository") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path() / ".orchestrator"));
}

TEST_CASE("the sample config written by init loads as the defaults") {
  temp_repo repo;
  REQUIRE(repo.orchestrator({"init"}).code == 0);
  const auto r = repo.orchestrator({"config", "show", "--json"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const auto doc = r.json();
  CHECK(doc["config"]["workers"]["value"] == "3");
  CHECK(doc["config"]["workers"]["source"] == "default");
}

TEST_CASE("commands other than init need a database and say so") {
  temp_repo repo;
  for (const auto& args : std::vector<std::vector<std::string>>{
         {"status"}, {"tasks", "list"}, {"tasks", "import", "tasks.yaml"}}) {
    const auto r = repo.orchestrator(args);
    CHECK(r.code == 2);
    CHECK(r.err.find("orchestrator init") != std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(repo.dir() / ".orchestrator"));
}

TEST_CASE("--help lists only built commands and shows an example") {
  temp_repo repo;
  const auto r = repo.orchestrator({"--help"});
  CHECK(r.code == 0);
  for (const char* cmd : {"init", "tasks", "status", "config", "circuits",
                          "metrics", "serve", "worker"}) {
    CHECK(r.out.find(cmd) != std::string::npos);
  }
  CHECK(r.out.find("Example") != std::string::npos);
  const auto run = repo.orchestrator({"run", "--help"});
  CHECK(run.out.find("--listen") != std::string::npos);
  const auto node = repo.orchestrator({"worker", "--help"});
  CHECK(node.code == 0);
  CHECK(node.out.find("orchestrator worker --connect") != std::string::npos);
  const auto sub = repo.orchestrator({"tasks", "import", "--help"});
  CHECK(sub.code == 0);
  CHECK(sub.out.find("orchestrator tasks import tasks.yaml")
        != std::string::npos);
  const auto bad = repo.orchestrator({"frobnicate"});
  CHECK(bad.code == 2);
}
