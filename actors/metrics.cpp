#include "actors/metrics.hpp"

#include "messages/errc.hpp"

#include <utility>

namespace tdd {

namespace {

using self_ptr = metrics_actor::stateful_pointer<metrics_state>;

/// The open database, opening it first if needed; null with `why` set
/// when it cannot be opened (not created yet, unreadable, too new).
store::database* database_of(self_ptr self, std::string& why) {
  auto& st = self->state;
  if (!st.db) {
    auto db
      = store::database::open(st.config.db_path, store::open_mode::read_only);
    if (!db) {
      why = st.config.db_path + ": " + describe(db.error());
      return nullptr;
    }
    st.db = std::move(*db);
  }
  return &*st.db;
}

/// After a failed read: reopen next time (the file may have been
/// replaced, e.g. by a new `init`).
void forget_database(self_ptr self) {
  self->state.db.reset();
}

http_reply render(self_ptr self, const endpoint_view& view) {
  std::string why;
  auto* db = database_of(self, why);
  auto reply = view(db, why);
  if (reply.status >= 500) {
    forget_database(self);
  }
  return reply;
}

http_reply scrape(self_ptr self) {
  std::string why;
  if (auto* db = database_of(self, why)) {
    auto text = self->state.registry->scrape(*db);
    if (text) {
      return {200, exposition_content_type, std::move(*text)};
    }
    why = describe(text.error());
    forget_database(self);
  }
  return {503, "text/plain; charset=utf-8",
          "cannot read the database: " + why + "\n"};
}

} // namespace

metrics_actor::behavior_type metrics(self_ptr self, metrics_config config) {
  self->state.config = std::move(config);
  self->state.registry = std::make_unique<metrics_registry>();
  return {
    [self](atom::scrape) { return scrape(self); },
    [self](atom::health) { return render(self, self->state.config.health); },
    [self](atom::status) { return render(self, self->state.config.status); },
  };
}

} // namespace tdd
