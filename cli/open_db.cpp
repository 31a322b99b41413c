#include "cli/open_db.hpp"

#include "cli/output.hpp"
#include "messages/errc.hpp"

namespace fs = std::filesystem;

namespace tdd::cli {

std::optional<store::database> open_database(const global_options& opts,
                                             store::open_mode mode,
                                             workspace* ws_out) {
  std::string error;
  auto ws = resolve_workspace(opts, error);
  if (!ws) {
    print_error(error);
    return std::nullopt;
  }
  std::error_code ec;
  if (!fs::exists(ws->db_path, ec)) {
    print_error("no database at " + ws->db_path.string()
                + "; run 'orchestrator init' in the repository first");
    return std::nullopt;
  }
  auto db = store::database::open(ws->db_path.string(), mode);
  if (!db) {
    print_error(describe(db.error()));
    return std::nullopt;
  }
  if (ws_out != nullptr) {
    *ws_out = std::move(*ws);
  }
  return std::move(*db);
}

} // namespace tdd::cli
