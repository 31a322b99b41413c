#pragma once

// One HTTP POST of a JSON body (the Slack webhook, SPEC.md 6), over
// libcurl: TLS, proxies from the environment (http_proxy, https_proxy,
// no_proxy) and timeouts as curl does them. Blocking: called from the
// notifier, which runs on a thread of its own.
//
// The URL may be a secret (a webhook's path is its credential): nothing
// this returns contains more of it than `core::mask_secret` shows.

#include <chrono>
#include <optional>
#include <string>

namespace tdd::exec {

struct http_timeouts {
  /// To establish the connection (TCP and TLS).
  std::chrono::milliseconds connect{2000};
  /// For the whole request, connection included.
  std::chrono::milliseconds total{5000};
};

struct http_post_result {
  int status = 0; ///< the HTTP status; 0 when no response came
  /// A 429's Retry-After in seconds (delay form only).
  std::optional<int> retry_after_s;
  /// Why it failed ("" for a 2xx): never the URL's path or query.
  std::string error;
};

/// POSTs `json_body` to `url` with `Content-Type: application/json`; no
/// redirects, http and https only, no signals.
[[nodiscard]] http_post_result http_post(const std::string& url,
                                         const std::string& json_body,
                                         const http_timeouts& timeouts = {});

} // namespace tdd::exec
