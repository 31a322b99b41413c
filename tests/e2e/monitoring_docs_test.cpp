// The monitoring documents stay true (docs/monitoring.md): promtool accepts
// the alert rules; every metric the alert rules, the Grafana dashboard and
// the guide name is one that `orchestrator metrics` exposes after a real
// run, and every family it exposes is documented; the dashboard is Grafana
// 9+ JSON with every section.

#include "e2e/harness.hpp"
#include "e2e/run_repo.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using namespace tdd::test;

namespace fs = std::filesystem;

namespace {

const fs::path docs = fs::path{TDD_SOURCE_DIR} / "docs";
const fs::path alerts_file = docs / "prometheus-alerts.yaml";
const fs::path dashboard_file = docs / "grafana" / "tdd-orchestrator.json";
const fs::path guide_file = docs / "monitoring.md";

const std::vector<task_def> one_task{{"A", "Task A"}};

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << file);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

/// The program `name` found in PATH, or "" when there is none.
std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH"); // NOLINT(concurrency-mt-unsafe)
  std::istringstream dirs{path == nullptr ? "" : path};
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const auto candidate = fs::path{dir.empty() ? "." : dir} / name;
    if (access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
  }
  return {};
}

/// promtool, or "" with a note when it is not installed.
std::string promtool() {
  auto p = find_program("promtool");
  if (p.empty()) {
    MESSAGE("promtool is not in PATH: the promtool checks are skipped");
  }
  return p;
}

/// The distinct tdd_* metric identifiers in `text`, in order of appearance.
std::vector<std::string> metric_names(const std::string& text) {
  static const std::regex name{"tdd_[a-z_]+"};
  std::vector<std::string> out;
  for (auto i = std::sregex_iterator(text.begin(), text.end(), name);
       i != std::sregex_iterator(); ++i) {
    if (std::find(out.begin(), out.end(), i->str()) == out.end()) {
      out.push_back(i->str());
    }
  }
  return out;
}

/// An expression and where it is: a panel title or an alert name.
struct query {
  std::string where;
  std::string expr;
};

/// Every "expr" string in the dashboard, with the title of the nearest
/// panel (or row) around it.
void dashboard_queries(const nlohmann::json& node, const std::string& title,
                       std::vector<query>& out) {
  if (node.is_array()) {
    for (const auto& x : node) {
      dashboard_queries(x, title, out);
    }
    return;
  }
  if (!node.is_object()) {
    return;
  }
  const auto t = node.contains("title") && node["title"].is_string()
                   ? node["title"].get<std::string>()
                   : title;
  for (const auto& [key, value] : node.items()) {
    if (key == "expr" && value.is_string()) {
      out.push_back(
        {"dashboard panel \"" + t + "\"", value.get<std::string>()});
    } else {
      dashboard_queries(value, t, out);
    }
  }
}

size_t indent_of(const std::string& line) {
  return line.find_first_not_of(' ');
}

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

/// One rule of the alert rules file: its name and its lines.
struct rule_text {
  std::string name;
  std::vector<std::string> lines;
};

/// The rules of a Prometheus rules file, split at `- alert:` and
/// `- record:` (enough for the file we write; promtool checks the YAML).
std::vector<rule_text> rules_of(const std::string& yaml) {
  std::vector<rule_text> out;
  std::istringstream in{yaml};
  for (std::string line; std::getline(in, line);) {
    const auto t = trimmed(line);
    for (const std::string_view start : {"- alert:", "- record:"}) {
      if (std::string_view{t}.substr(0, start.size()) == start) {
        out.push_back({trimmed(t.substr(start.size())), {}});
      }
    }
    if (!out.empty()) {
      out.back().lines.push_back(line);
    }
  }
  return out;
}

/// The `expr:` of a rule: the rest of its line, or the block scalar
/// (`expr: |`) that follows it, lines indented deeper than the key.
std::string expr_of(const rule_text& rule) {
  std::string expr;
  for (size_t i = 0; i < rule.lines.size(); ++i) {
    const auto& line = rule.lines[i];
    const auto at = line.find("expr:");
    if (at == std::string::npos || trimmed(line).rfind("expr:", 0) != 0) {
      continue;
    }
    const auto rest = trimmed(line.substr(at + 5));
    if (rest.empty() || (rest[0] != '|' && rest[0] != '>')) {
      return rest;
    }
    const auto key_indent = indent_of(line);
    for (size_t j = i + 1; j < rule.lines.size(); ++j) {
      const auto& next = rule.lines[j];
      if (!trimmed(next).empty() && indent_of(next) <= key_indent) {
        break;
      }
      expr += next + "\n";
    }
    return expr;
  }
  return expr;
}

/// The metric families an exposition declares (`# TYPE name type`); a
/// histogram also brings name_bucket, name_sum and name_count.
std::set<std::string> exposed_families(const std::string& exposition,
                                       std::set<std::string>& declared) {
  std::set<std::string> out;
  std::istringstream in{exposition};
  for (std::string line; std::getline(in, line);) {
    std::istringstream words{line};
    std::string hash;
    std::string type_word;
    std::string name;
    std::string type;
    if (!(words >> hash >> type_word >> name >> type) || hash != "#"
        || type_word != "TYPE") {
      continue;
    }
    declared.insert(name);
    out.insert(name);
    if (type == "histogram" || type == "summary") {
      out.insert(name + "_sum");
      out.insert(name + "_count");
    }
    if (type == "histogram") {
      out.insert(name + "_bucket");
    }
  }
  return out;
}

/// Runs `promtool ARGS...` in `repo`; "" when it succeeds, else its output.
std::string run_promtool(const temp_repo& repo, const std::string& tool,
                         std::vector<std::string> args) {
  args.insert(args.begin(), tool);
  const auto r = repo.run(args);
  return r.code == 0 ? std::string{}
                     : "exit " + std::to_string(r.code) + "\n" + r.out + r.err;
}

} // namespace

TEST_CASE("monitoring_docs: promtool accepts the alert rules") {
  const auto rules = rules_of(read_text(alerts_file));
  REQUIRE(rules.size() >= 8);
  const auto guide = read_text(guide_file);
  std::set<std::string> names;
  for (const auto& rule : rules) {
    CAPTURE(rule.name);
    names.insert(rule.name);
    std::string text;
    bool has_for = false;
    for (const auto& line : rule.lines) {
      text += line + "\n";
      has_for = has_for || trimmed(line).rfind("for:", 0) == 0;
    }
    // What docs/monitoring.md promises of every rule.
    CHECK_MESSAGE(has_for, "alert " << rule.name << " has no for:");
    CHECK_MESSAGE((text.find("severity: critical") != std::string::npos
                   || text.find("severity: warning") != std::string::npos),
                  "alert " << rule.name << " has no severity label");
    CHECK_MESSAGE(text.find("summary:") != std::string::npos,
                  "alert " << rule.name << " has no summary");
    CHECK_MESSAGE(text.find("description:") != std::string::npos,
                  "alert " << rule.name << " has no description");
    CHECK_MESSAGE(guide.find("`" + rule.name + "`") != std::string::npos,
                  "alert " << rule.name << " is not in docs/monitoring.md");
    CHECK_FALSE(expr_of(rule).empty());
  }
  for (const char* required :
       {"TddSystemCircuitOpen", "TddWorkerCircuitsOpen", "TddCircuitFlapping",
        "TddBudgetNearlyExhausted", "TddNoProgress", "TddHighStageFailureRate",
        "TddNotificationsFailing", "TddOrchestratorDown"}) {
    CHECK_MESSAGE(names.count(required) == 1, "no alert " << required);
  }
  // Budget and progress alerts only while a run is active; the down alert
  // names the scrape job the guide documents.
  for (const auto& rule : rules) {
    const auto expr = expr_of(rule);
    if (rule.name == "TddBudgetNearlyExhausted"
        || rule.name == "TddNoProgress") {
      CHECK_MESSAGE(expr.find("tdd_run_start_time_seconds > 0")
                      != std::string::npos,
                    rule.name << " does not require an active run: " << expr);
    }
    if (rule.name == "TddOrchestratorDown") {
      CHECK(expr.find("up{job=\"tdd-orchestrator\"}") != std::string::npos);
      CHECK(guide.find("job_name: tdd-orchestrator") != std::string::npos);
    }
  }

  const auto tool = promtool();
  if (tool.empty()) {
    return;
  }
  temp_repo scratch;
  const auto problem
    = run_promtool(scratch, tool, {"check", "rules", alerts_file.string()});
  CHECK_MESSAGE(problem.empty(), "promtool check rules " << alerts_file << ":\n"
                                                         << problem);
}

TEST_CASE("monitoring_docs: every metric the dashboard and alerts use is "
          "exposed") {
  run_repo r(one_task);
  const auto res = r.run({"--workers", "1"});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  const auto m = r.repo.orchestrator({"metrics"});
  REQUIRE_MESSAGE(m.code == 0, m.err);

  if (const auto tool = promtool(); !tool.empty()) {
    // Outside the repository: the run's work tree stays as it was.
    const auto file = r.state.path() / "exposition.txt";
    std::ofstream(file, std::ios::binary) << m.out;
    const auto check = r.repo.run(
      {"sh", "-c", "\"$0\" check metrics < \"$1\"", tool, file.string()});
    CHECK_MESSAGE(check.code == 0, "promtool check metrics:\n"
                                     << check.out << check.err);
  }

  std::set<std::string> declared;
  const auto exposed = exposed_families(m.out, declared);
  REQUIRE_MESSAGE(!declared.empty(), "no # TYPE line in:\n" << m.out);

  std::vector<query> queries;
  dashboard_queries(nlohmann::json::parse(read_text(dashboard_file)), "",
                    queries);
  const auto dashboard_queries_count = queries.size();
  for (const auto& rule : rules_of(read_text(alerts_file))) {
    queries.push_back({"alert " + rule.name, expr_of(rule)});
  }
  REQUIRE(dashboard_queries_count >= 20);
  REQUIRE(queries.size() > dashboard_queries_count);

  size_t uses = 0;
  for (const auto& q : queries) {
    for (const auto& name : metric_names(q.expr)) {
      ++uses;
      CHECK_MESSAGE(exposed.count(name) == 1,
                    q.where << " uses " << name
                            << ", which `orchestrator metrics` does not "
                               "expose; its query: "
                            << q.expr);
    }
  }
  CHECK(uses >= queries.size());

  // The guide documents every family, and names no other.
  const auto guide = read_text(guide_file);
  for (const auto& family : declared) {
    CHECK_MESSAGE(guide.find("`" + family + "`") != std::string::npos,
                  family << " is exposed but not documented in "
                            "docs/monitoring.md");
  }
  for (const auto& name : metric_names(guide)) {
    CHECK_MESSAGE(exposed.count(name) == 1, "docs/monitoring.md names "
                                              << name
                                              << ", which is not exposed");
  }
}

TEST_CASE("monitoring_docs: the Grafana dashboard is Grafana 9 JSON with "
          "every section") {
  nlohmann::json dash;
  REQUIRE_NOTHROW(dash = nlohmann::json::parse(read_text(dashboard_file)));
  REQUIRE(dash.is_object());
  CHECK(dash.at("schemaVersion").get<int>() >= 36);
  CHECK(dash.at("title") == "tdd-orchestrator");

  // The data source is an import input, and every panel uses it.
  bool has_input = false;
  for (const auto& input : dash.at("__inputs")) {
    has_input = has_input
                || (input.at("name") == "DS_PROMETHEUS"
                    && input.at("type") == "datasource"
                    && input.at("pluginId") == "prometheus");
  }
  CHECK_MESSAGE(has_input, "no __inputs entry DS_PROMETHEUS (prometheus)");
  const auto& templating = dash.at("templating").at("list");
  for (const auto& var : templating) {
    CHECK_MESSAGE(var.at("type") == "datasource",
                  "template variable " << var.dump());
  }

  const std::set<std::string> panel_types{"row", "stat", "timeseries",
                                          "bargauge", "state-timeline"};
  std::set<std::string> titles;
  std::set<int> ids;
  for (const auto& panel : dash.at("panels")) {
    const auto title = panel.at("title").get<std::string>();
    CAPTURE(title);
    titles.insert(title);
    CHECK(ids.insert(panel.at("id").get<int>()).second);
    const auto type = panel.at("type").get<std::string>();
    CHECK(panel_types.count(type) == 1);
    const auto& grid = panel.at("gridPos");
    CHECK(grid.at("x").get<int>() + grid.at("w").get<int>() <= 24);
    if (type == "row") {
      continue;
    }
    CHECK(panel.at("datasource").at("uid") == "${DS_PROMETHEUS}");
    REQUIRE_FALSE(panel.at("targets").empty());
    for (const auto& target : panel.at("targets")) {
      CHECK_FALSE(target.at("expr").get<std::string>().empty());
      CHECK_FALSE(target.at("refId").get<std::string>().empty());
    }
  }
  // Rows and the panels SPEC 6 and docs/grafana/README.md promise.
  for (const char* title : {"Runs",
                            "Tasks",
                            "Stages",
                            "Circuit breakers",
                            "Cost, tokens and budget",
                            "Workers and nodes",
                            "Merges and notifications",
                            "Runs finished by outcome",
                            "Run active since",
                            "Tasks by status",
                            "Stage duration p50",
                            "Stage duration p95",
                            "Stage attempts by outcome (rate)",
                            "Circuits by level and state",
                            "Worker circuit state",
                            "Agent cost total",
                            "Agent cost rate",
                            "Tokens total",
                            "Budget invocations remaining",
                            "Nodes connected",
                            "Worker restarts",
                            "Merge conflicts",
                            "Notifications by outcome"}) {
    CHECK_MESSAGE(titles.count(title) == 1, "no panel \"" << title << "\"");
  }
  std::vector<query> queries;
  dashboard_queries(dash, "", queries);
  for (const auto& q : queries) {
    if (q.where.find("Stage duration p") != std::string::npos) {
      CHECK_MESSAGE(q.expr.find("histogram_quantile(") != std::string::npos,
                    q.where << ": " << q.expr);
    }
  }

  // Every query parses as PromQL: promtool checks them as recording rules,
  // with Grafana's interval variables replaced by durations.
  const auto tool = promtool();
  if (tool.empty()) {
    return;
  }
  std::string rules = "groups:\n  - name: dashboard\n    rules:\n";
  for (size_t i = 0; i < queries.size(); ++i) {
    auto expr = std::regex_replace(queries[i].expr,
                                   std::regex{R"(\$__rate_interval|\$__range|)"
                                              R"(\$__interval)"},
                                   "5m");
    rules += "      - record: dashboard:query_" + std::to_string(i)
             + "\n        expr: " + nlohmann::json(expr).dump() + "\n";
  }
  temp_repo scratch;
  scratch.write("dashboard-rules.yaml", rules);
  const auto problem = run_promtool(
    scratch, tool,
    {"check", "rules", (scratch.dir() / "dashboard-rules.yaml").string()});
  CHECK_MESSAGE(problem.empty(), "a dashboard query is not valid PromQL:\n"
                                   << problem);
}
