// tdd_store_bench: how many write events per second the persistence actor
// absorbs, used as production uses it: spawned `caf::detached` on a real
// SQLite file (WAL), fire-and-forget writes batched one mailbox burst per
// transaction, claims as requests that commit before they reply.
//
// Untimed setup does what `run` does before its actors start (create the
// database, import --tasks tasks, start a run with a budget), registers
// --senders workers through the store and flushes. Timed: --senders actors
// each claim their share of the tasks and send, per task, the writes of a
// task that passes every stage at the first attempt (red, green, verify,
// refactor, commit), in the order actors/worker_attempt.cpp,
// worker_outcome.cpp and coordinator.cpp send them; every message counts
// as one event. The clock stops when a `flush` sent after the last sender
// is done returns. Then the database is read back; a difference exits 1.
//
// Unlike a real run: no agents, git or verify commands, so senders go as
// fast as claims come back (a real worker sends a few writes per agent
// call, seconds apart): this is the store's ceiling. Each sender claims its
// own tasks, where the coordinator claims one at a time after a `get task`
// read. Reads (`get task`, `get attempts`), lease renewals, control polls,
// circuit saves and notifications are not sent; no stage fails or retries.

#include "cli/actor_config.hpp"
#include "core/budget.hpp"
#include "core/stage_rules.hpp"
#include "core/task.hpp"
#include "messages/all.hpp"
#include "messages/errc.hpp"
#include "messages/run.hpp"
#include "messages/store_actor.hpp"
#include "messages/task.hpp"
#include "store/database.hpp"
#include "store/persistence.hpp"

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/timestamp.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

using namespace tdd;
namespace fs = std::filesystem;

namespace {

constexpr int exit_mismatch = 1;
constexpr int exit_usage = 2;
/// Generous: a request that takes this long means the store is stuck.
constexpr auto request_timeout = std::chrono::seconds{120};

struct options {
  std::string db; ///< empty: a file in a temporary directory
  int64_t tasks = 1000;
  int64_t senders = 16;
  bool json = false;
};

/// A directory from mkdtemp under $TMPDIR (else /tmp), removed with all
/// it holds at scope exit; `path` is empty if it could not be made.
struct temp_dir {
  fs::path path;
  temp_dir() {
    std::error_code ec;
    auto text = (fs::temp_directory_path(ec) / "tdd-bench-XXXXXX").string();
    if (!ec && ::mkdtemp(text.data()) != nullptr) {
      path = text;
    }
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec; // best effort, never throws
    fs::remove_all(path, ec);
  }
};

/// Options from argv; nullopt on bad usage or --help (exit code in `code`).
std::optional<options> parse_options(int argc, char** argv, int& code) {
  options out;
  CLI::App app{"How many write events per second the store actor absorbs.",
               "tdd_store_bench"};
  app.add_option("--db", out.db, "new database file (default: temporary)");
  app.add_option("--tasks", out.tasks, "tasks (default 1000)")
    ->check(CLI::PositiveNumber);
  app.add_option("--senders", out.senders, "sender actors (default 16)")
    ->check(CLI::PositiveNumber);
  app.add_flag("--json", out.json, "one JSON object instead of text");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    code = app.exit(e) == 0 ? 0 : exit_usage;
    return std::nullopt;
  }
  return out;
}

std::string task_key(int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "T%06lld", static_cast<long long>(i));
  return buf;
}

/// A 40-digit hex id, unique per (task, stage): the commit a stage starts
/// from (the store refuses anything but hex).
std::string fake_commit(size_t task_hash, size_t stage) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%016zx%024zx", task_hash, stage + 1);
  return buf;
}

/// The stages a task passes at the first attempt each, by the real rules.
std::vector<core::stage> happy_path() {
  std::vector<core::stage> out{core::stage::red};
  while (auto next = core::stage_after(out.back(), true)) {
    out.push_back(*next);
  }
  return out;
}

/// A task to claim: its key and version (what the coordinator keeps).
using claimable = std::pair<std::string, int64_t>;

struct setup {
  int64_t run_id = 0;
  std::vector<claimable> tasks;
};

/// Untimed: what `run` does to the database before its actors start.
caf::expected<setup> prepare(const std::string& path, int64_t tasks) {
  auto db = store::database::open(path, store::open_mode::read_write);
  if (!db) {
    return std::move(db.error());
  }
  std::vector<core::task_spec> specs;
  for (int64_t i = 0; i < tasks; ++i) {
    core::task_spec x;
    x.key = task_key(i);
    x.title = "Task " + x.key;
    x.goal = "make " + x.key + " work";
    x.test_file = "tests/test_" + x.key + ".py";
    x.impl_file = x.key + ".py";
    x.verify = "python3 -m pytest -q {test_file}";
    specs.push_back(std::move(x));
  }
  if (auto summary = db->import_tasks(specs, false); !summary) {
    return std::move(summary.error());
  }
  auto run_id = db->start_run(
    {0, "bench", "main", R"({"bench": true})", caf::make_timestamp()});
  if (!run_id) {
    return std::move(run_id.error());
  }
  if (auto err = db->init_budget(*run_id, core::budget_limits{})) {
    return err;
  }
  auto leases = db->task_leases();
  if (!leases) {
    return std::move(leases.error());
  }
  setup out{*run_id, {}};
  for (const auto& x : *leases) {
    out.tasks.emplace_back(x.key, x.version);
  }
  return out;
}

/// A sender's setup and counters. The handlers find everything here, not
/// in captures: a lambda copies what it captures, once per task.
struct sender_state {
  static inline constexpr const char* name = "bench_sender";
  store_actor store;
  caf::actor report_to; ///< gets (done, events, refused claims)
  int64_t run_id = 0;
  std::string id; ///< worker_N
  std::vector<claimable> tasks;
  size_t next = 0;
  int64_t events = 0;
  int64_t refused = 0;
  int64_t invocations = 0; ///< agent calls settled, for budget usage
};

using sender_ptr = caf::stateful_actor<sender_state>*;

/// The writes of one task after its claim, in the order a worker (and the
/// coordinator for it) sends them: worker_attempt.cpp, worker_outcome.cpp,
/// coordinator.cpp.
void send_task_life(sender_ptr self, const std::string& key) {
  auto& st = self->state;
  auto send = [&](auto&&... xs) {
    self->send(st.store, std::forward<decltype(xs)>(xs)...);
    ++st.events;
  };
  static const auto stages = happy_path();
  const auto hash = std::hash<std::string>{}(key);
  send(atom::worker_v, worker_update{st.id, "busy", key, "red"});
  std::string commit; // where the stage starts; "" before red
  for (size_t i = 0; i < stages.size(); ++i) {
    const auto stage = core::to_string(stages[i]);
    send(atom::attempt_v, attempt_start{st.run_id, key, stage, 1, st.id,
                                        "logs/" + key + "/" + stage + "-1.log",
                                        caf::make_timestamp()});
    send(atom::stage_v, key, stage, commit);
    send(atom::worker_v, worker_update{st.id, "busy", key, stage});
    if (core::uses_agent(stages[i])) {
      ++st.invocations;
      send(atom::budget_v, st.run_id,
           core::budget_usage{st.invocations, st.invocations * 1000,
                              st.invocations * 500});
    }
    send(atom::attempt_v,
         attempt_finish{
           st.run_id, key, stage, 1, {1000, "passed", "", 1000, 500}});
    if (i + 1 < stages.size()) {
      commit = fake_commit(hash, i);
      send(atom::stage_v, key, core::to_string(stages[i + 1]), commit);
    }
  }
  send(atom::release_v,
       task_release{key, st.id, core::task_status::complete, "", ""});
  send(atom::worker_v, worker_update{st.id, "idle", "", ""});
}

/// Claims the next task (a request, as the coordinator's) and, once it is
/// granted, sends its writes; reports to `report_to` when no task is left.
void next_task(sender_ptr self) {
  auto& st = self->state;
  if (st.next == st.tasks.size()) {
    self->send(st.report_to, atom::done_v, st.events, st.refused);
    self->quit();
    return;
  }
  const auto& [key, version] = st.tasks[st.next++];
  const auto expires = caf::make_timestamp() + std::chrono::hours{1};
  ++st.events;
  self
    ->request(st.store, request_timeout, atom::claim_v,
              task_claim{key, st.id, expires, version})
    .then(
      [self](bool granted) {
        if (granted) {
          send_task_life(self, self->state.tasks[self->state.next - 1].first);
        } else {
          ++self->state.refused;
        }
        next_task(self);
      },
      [self](caf::error& err) {
        std::cerr << "claim failed: " << describe(err) << "\n";
        self->state.refused = -1;
        self->state.next = self->state.tasks.size();
        next_task(self);
      });
}

caf::behavior sender(sender_ptr self, sender_state init) {
  self->state = std::move(init);
  next_task(self);
  // Never used: keeps the actor alive until next_task quits it.
  return {[](atom::stop) {}};
}

struct figures {
  int64_t events = 0;
  double seconds = 0;
  int64_t transactions = 0;
};

/// Flushes the store; the number of transactions it committed so far.
caf::expected<int64_t> flush(caf::scoped_actor& self, const store_actor& st) {
  caf::expected<int64_t> out = caf::make_error(caf::sec::request_timeout);
  self->request(st, request_timeout, atom::flush_v)
    .receive([&](int64_t n) { out = n; },
             [&](caf::error& err) { out = std::move(err); });
  return out;
}

/// Untimed: the workers register; then the timed part. Errors are fatal.
caf::expected<figures> measure(caf::actor_system& sys, const store_actor& store,
                               const options& opt, const setup& s) {
  const auto run_id = s.run_id;
  caf::scoped_actor self{sys};
  std::vector<sender_state> cfgs(static_cast<size_t>(opt.senders));
  for (size_t i = 0; i < cfgs.size(); ++i) {
    cfgs[i].store = store;
    cfgs[i].report_to = self;
    cfgs[i].run_id = run_id;
    cfgs[i].id = "worker_" + std::to_string(i + 1);
    self->send(store, atom::worker_v,
               worker_registration{cfgs[i].id, "", run_id, "idle",
                                   caf::make_timestamp()});
  }
  for (size_t i = 0; i < s.tasks.size(); ++i) {
    cfgs[i % cfgs.size()].tasks.push_back(s.tasks[i]);
  }
  auto before = flush(self, store);
  if (!before) {
    return std::move(before.error());
  }
  figures out;
  const auto start = std::chrono::steady_clock::now();
  for (auto& cfg : cfgs) {
    sys.spawn(sender, std::move(cfg));
  }
  for (int64_t i = 0; i < opt.senders; ++i) {
    int64_t refused = -1; // stays so when no sender reports in time
    self->receive(
      [&](atom::done, int64_t events, int64_t n) {
        out.events += events;
        refused = n;
      },
      caf::after(std::chrono::minutes{10}) >> [] {});
    if (refused != 0) {
      return caf::make_error(errc::conflict,
                             "a sender's claims failed or timed out");
    }
  }
  auto after = flush(self, store);
  out.seconds
    = std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
        .count();
  if (!after) {
    return std::move(after.error());
  }
  out.transactions = *after - *before;
  return out;
}

/// Reads the database back; one line per difference from what was sent.
std::vector<std::string> verify(const std::string& path, const options& opt) {
  std::vector<std::string> errors;
  auto db = store::database::open(path, store::open_mode::read_only);
  if (!db) {
    return {"cannot reopen the database: " + describe(db.error())};
  }
  const auto stages = happy_path();
  auto tasks = db->list_tasks({});
  if (!tasks || static_cast<int64_t>(tasks->size()) != opt.tasks) {
    return {"the database does not hold the tasks imported"};
  }
  for (const auto& t : *tasks) {
    const auto& key = t.spec.key;
    const auto commit
      = fake_commit(std::hash<std::string>{}(key), stages.size() - 2);
    if (t.status != core::task_status::complete || !t.claimed_by.empty()
        || t.current_stage != core::to_string(stages.back())
        || t.stage_commit != commit) {
      errors.push_back(key + ": " + core::to_string(t.status) + " at stage '"
                       + t.current_stage + "'");
    }
    auto rows = db->attempts_of(key);
    size_t passed = 0;
    for (const auto& a : rows ? *rows : std::vector<attempt_row>{}) {
      passed += a.outcome == "passed" ? 1 : 0;
    }
    if (!rows || rows->size() != stages.size() || passed != stages.size()) {
      errors.push_back(key + ": " + std::to_string(passed) + " of "
                       + std::to_string(stages.size()) + " attempts passed");
    }
  }
  auto workers = db->list_workers();
  if (!workers || static_cast<int64_t>(workers->size()) != opt.senders) {
    errors.emplace_back("not every worker is registered");
  }
  for (const auto& w : workers ? *workers : std::vector<worker_row>{}) {
    if (w.state != "idle" || !w.current_task.empty()) {
      errors.push_back(w.id + " is " + w.state + " with '" + w.current_task
                       + "'");
    }
  }
  return errors;
}

void print(const options& opt, const figures& f, bool verified) {
  const auto rate
    = f.seconds > 0 ? static_cast<int64_t>(f.events / f.seconds) : 0;
  std::cout << std::fixed << std::setprecision(3);
  if (opt.json) {
    std::cout << R"({"tasks": )" << opt.tasks << R"(, "senders": )"
              << opt.senders << R"(, "events": )" << f.events
              << R"(, "seconds": )" << f.seconds << R"(, "events_per_s": )"
              << rate << R"(, "transactions": )" << f.transactions
              << R"(, "verified": )" << (verified ? "true" : "false") << "}\n";
    return;
  }
  std::cout << "store: " << opt.tasks << " tasks, " << opt.senders
            << " senders: " << f.events << " events in " << f.seconds
            << " s = " << rate << " events/s, " << f.transactions
            << " transactions\n";
}

/// Setup, measure, stop the store (its database closes), verify, print.
int bench(const options& opt, const std::string& path) {
  auto prepared = prepare(path, opt.tasks);
  if (!prepared) {
    std::cerr << "setup failed: " << describe(prepared.error()) << "\n";
    return exit_mismatch;
  }
  caf::expected<figures> result = figures{};
  {
    caf::actor_system_config cfg;
    cli::configure_actor_system(cfg); // the scheduler `run` has
    caf::actor_system sys{cfg};
    auto store = sys.spawn<caf::detached>(store::persistence, path);
    result = measure(sys, store, opt, *prepared);
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  } // every actor is gone here
  if (!result) {
    std::cerr << "benchmark failed: " << describe(result.error()) << "\n";
    return exit_mismatch;
  }
  const auto errors = verify(path, opt);
  print(opt, *result, errors.empty());
  for (size_t i = 0; i < errors.size() && i < 20; ++i) {
    std::cerr << "mismatch: " << errors[i] << "\n";
  }
  return errors.empty() ? 0 : exit_mismatch;
}

} // namespace

int main(int argc, char** argv) {
  int code = 0;
  auto opt = parse_options(argc, argv, code);
  if (!opt) {
    return code;
  }
  std::error_code ec;
  if (!opt->db.empty() && fs::exists(opt->db, ec)) {
    std::cerr << opt->db << " exists; the benchmark needs a new file\n";
    return exit_usage;
  }
  std::optional<temp_dir> tmp; // removed at return, and when bench throws
  auto path = opt->db;
  if (path.empty()) {
    tmp.emplace();
    if (tmp->path.empty()) {
      std::cerr << "cannot create a temporary directory\n";
      return exit_mismatch;
    }
    path = (tmp->path / "orchestrator.db").string();
  }
  try {
    return bench(*opt, path);
  } catch (const std::exception& e) { // caught, so the stack unwinds
    std::cerr << "benchmark failed: " << e.what() << "\n";
    return exit_mismatch;
  }
}
