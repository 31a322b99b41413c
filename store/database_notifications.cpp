// database: the `notifications` table, one row per Slack notification as
// it ended (sent, throttled or failed). The webhook URL never reaches it:
// a record holds the event, its subject, the outcome and the JSON body.

#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/database_statements.hpp"
#include "store/time_text.hpp"

#include <optional>
#include <string>

namespace tdd::store {

caf::error database::record_notification(const notification_record& x) {
  if (x.outcome != "pending" && x.outcome != "sent" && x.outcome != "throttled"
      && x.outcome != "failed") {
    return caf::make_error(errc::invalid_argument,
                           "notification outcome must be pending, sent, "
                           "throttled or failed, not \""
                             + x.outcome + "\"");
  }
  const auto at = format_time(x.at);
  const auto sent_at
    = x.outcome == "sent" ? std::optional<std::string>{at} : std::nullopt;
  return stmts_->insert_notification.execute(
    x.run_id, x.channel, x.event, x.subject, x.outcome,
    static_cast<int64_t>(x.tries), x.error, x.payload, at, sent_at);
}

} // namespace tdd::store
