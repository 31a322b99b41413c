#pragma once

// Monitoring messages (SPEC.md 6): what the notifier tells the store about
// each Slack message, and what the metrics actor answers the HTTP server.

#include "messages/type_ids.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/timestamp.hpp>

#include <cstdint>
#include <string>

namespace tdd {

/// One notification as it ended: a row of `notifications`. The webhook
/// URL is never part of it.
struct notification_record {
  int64_t run_id = 0;       ///< 0: outside a run
  std::string channel = "slack";
  std::string event;        ///< run_started, circuit_opened, ...
  std::string subject;      ///< throttle key, e.g. "worker:worker_2"
  std::string outcome;      ///< sent, throttled or failed
  int32_t tries = 0;        ///< HTTP requests made (0 when throttled)
  std::string error;        ///< why it failed; "" otherwise
  std::string payload;      ///< the JSON body (Block Kit), for people
  caf::timestamp at;        ///< when it was decided (sent_at when sent)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, notification_record& x) {
  return f(caf::meta::type_name("notification_record"), x.run_id, x.channel,
           x.event, x.subject, x.outcome, x.tries, x.error, x.payload, x.at);
}

/// An HTTP answer of the monitoring endpoints (/metrics, /healthz,
/// /api/status).
struct http_reply {
  int32_t status = 200;
  std::string content_type;
  std::string body;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_reply& x) {
  return f(caf::meta::type_name("http_reply"), x.status, x.content_type,
           x.body);
}

} // namespace tdd
