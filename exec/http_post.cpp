#include "exec/http_post.hpp"

#include "core/config.hpp"
#include "core/notify_policy.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace tdd::exec {

namespace {

struct easy_deleter {
  void operator()(CURL* x) const noexcept { curl_easy_cleanup(x); }
};

struct slist_deleter {
  void operator()(curl_slist* x) const noexcept { curl_slist_free_all(x); }
};

using easy_ptr = std::unique_ptr<CURL, easy_deleter>;
using slist_ptr = std::unique_ptr<curl_slist, slist_deleter>;

/// curl_global_init is not thread-safe and must run once per process:
/// whichever thread posts first does it.
bool curl_ready() {
  static std::once_flag once;
  static CURLcode result = CURLE_FAILED_INIT;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result == CURLE_OK;
}

/// The response body is kept only this far: Slack answers with a short
/// code ("ok", "invalid_payload", "no_service").
constexpr size_t max_body = 128;

size_t keep_body(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t bytes = size * count;
  if (body->size() < max_body) {
    body->append(data, std::min(bytes, max_body - body->size()));
  }
  return bytes;
}

/// Only a plain code is worth repeating: any other body (a proxy's HTML
/// page, say) might quote the request, and with it the URL.
bool is_code(const std::string& body) {
  return !body.empty() && body.size() <= 64
         && std::all_of(body.begin(), body.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                     || c == '_';
            });
}

std::string status_error(long status, const std::string& body) {
  auto text = "HTTP " + std::to_string(status);
  if (is_code(body)) {
    text += " (" + body + ")";
  }
  return text;
}

/// Built here rather than taken from CURLOPT_ERRORBUFFER, whose text may
/// repeat the URL.
std::string curl_error(const std::string& url, CURLcode rc) {
  return "POST to " + core::mask_secret(url)
         + " failed: " + curl_easy_strerror(rc);
}

std::optional<int> retry_after(CURL* h) {
  curl_header* header = nullptr;
  if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &header)
        != CURLHE_OK
      || header == nullptr || header->value == nullptr) {
    return std::nullopt;
  }
  return core::parse_retry_after(header->value);
}

/// Every option of the request; the first that libcurl refuses.
CURLcode configure(CURL* h, const std::string& url, const std::string& body,
                   curl_slist* headers, std::string* response,
                   const http_timeouts& timeouts) {
  const CURLcode codes[] = {
    curl_easy_setopt(h, CURLOPT_URL, url.c_str()),
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"),
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L),
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(timeouts.connect.count())),
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(timeouts.total.count())),
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers),
    curl_easy_setopt(h, CURLOPT_USERAGENT, "tdd-orchestrator"),
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body.size())),
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data()),
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_body),
    curl_easy_setopt(h, CURLOPT_WRITEDATA, response),
  };
  for (const auto rc : codes) {
    if (rc != CURLE_OK) {
      return rc;
    }
  }
  return CURLE_OK;
}

} // namespace

http_post_result http_post(const std::string& url, const std::string& json_body,
                           const http_timeouts& timeouts) {
  http_post_result result;
  if (!curl_ready()) {
    result.error = "cannot start libcurl";
    return result;
  }
  easy_ptr h{curl_easy_init()};
  // "Expect:" turns off curl's 100-continue round trip for larger bodies.
  slist_ptr headers{
    curl_slist_append(nullptr, "Content-Type: application/json")};
  if (headers && curl_slist_append(headers.get(), "Expect:") == nullptr) {
    headers.reset();
  }
  if (!h || !headers) {
    result.error = "cannot start libcurl";
    return result;
  }
  std::string response;
  auto rc
    = configure(h.get(), url, json_body, headers.get(), &response, timeouts);
  if (rc == CURLE_OK) {
    rc = curl_easy_perform(h.get());
  }
  if (rc != CURLE_OK) {
    result.error = curl_error(url, rc);
    return result;
  }
  long status = 0;
  curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &status);
  result.status = static_cast<int>(status);
  if (status == 429) {
    result.retry_after_s = retry_after(h.get());
  }
  if (!core::is_delivered(result.status)) {
    result.error = status_error(status, response);
  }
  return result;
}

} // namespace tdd::exec
