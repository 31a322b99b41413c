#include "cli/open_db.hpp"

#include "cli/output.hpp"
#include "messages/errc.hpp"

namespace fs = std::filesystem;

namespace tdd::cli {

namespace {

std::optional<store::database> try_open(const global_options& opts,
                                        store::open_mode mode,
                                        workspace* ws_out, std::string& why) {
  auto ws = resolve_workspace(opts, why);
  if (!ws) {
    return std::nullopt;
  }
  std::error_code ec;
  if (!fs::exists(ws->db_path, ec)) {
    why = "no database at " + ws->db_path.string()
          + "; run 'orchestrator init' in the repository first";
    return std::nullopt;
  }
  auto db = store::database::open(ws->db_path.string(), mode);
  if (!db) {
    why = describe(db.error());
    return std::nullopt;
  }
  if (ws_out != nullptr) {
    *ws_out = std::move(*ws);
  }
  return std::move(*db);
}

} // namespace

std::optional<store::database> open_database(const global_options& opts,
                                             store::open_mode mode,
                                             workspace* ws_out) {
  std::string why;
  auto db = try_open(opts, mode, ws_out, why);
  if (!db) {
    print_error(why);
  }
  return db;
}

std::optional<store::database> open_database_quietly(const global_options& opts,
                                                     std::string& why) {
  return try_open(opts, store::open_mode::read_only, nullptr, why);
}

} // namespace tdd::cli
