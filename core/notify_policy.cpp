#include "core/notify_policy.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace tdd::core {

namespace {

/// Pruning walks the whole map: only worth it once it is this big.
constexpr size_t prune_threshold = 1024;

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

} // namespace

std::string to_string(notify_event x) {
  switch (x) {
  case notify_event::run_started:
    return "run_started";
  case notify_event::run_finished:
    return "run_finished";
  case notify_event::circuit_opened:
    return "circuit_opened";
  case notify_event::circuit_recovered:
    return "circuit_recovered";
  case notify_event::stage_circuits_opened:
    return "stage_circuits_opened";
  case notify_event::system_halt:
    return "system_halt";
  case notify_event::budget_exhausted:
    return "budget_exhausted";
  case notify_event::flapping:
    return "flapping";
  }
  return "unknown";
}

// -- throttle -----------------------------------------------------------------

notify_throttle::notify_throttle(std::chrono::seconds window)
    : window_(window) {}

bool notify_throttle::admit(notify_event event, const std::string& subject,
                            notify_time now) {
  if (last_.size() >= prune_threshold) {
    prune(now);
  }
  auto key = std::make_pair(event, subject);
  auto i = last_.find(key);
  if (i != last_.end() && now - i->second < window_) {
    return false;
  }
  last_[std::move(key)] = now;
  return true;
}

void notify_throttle::prune(notify_time now) {
  for (auto i = last_.begin(); i != last_.end();) {
    if (now - i->second >= window_) {
      i = last_.erase(i);
    } else {
      ++i;
    }
  }
}

// -- pacer --------------------------------------------------------------------

notify_pacer::notify_pacer(std::chrono::milliseconds interval)
    : interval_(interval) {}

notify_time notify_pacer::earliest(notify_time wanted) const {
  if (!last_) {
    return wanted;
  }
  return std::max(wanted, *last_ + interval_);
}

void notify_pacer::note_request(notify_time at) {
  last_ = last_ ? std::max(*last_, at) : at;
}

// -- stage batch --------------------------------------------------------------

stage_batch::stage_batch(std::chrono::seconds window) : window_(window) {}

void stage_batch::add(const std::string& circuit, notify_time now) {
  if (!started_) {
    started_ = now;
  }
  if (std::find(circuits_.begin(), circuits_.end(), circuit)
      == circuits_.end()) {
    circuits_.push_back(circuit);
  }
}

std::optional<notify_time> stage_batch::due_at() const {
  if (!started_) {
    return std::nullopt;
  }
  return *started_ + window_;
}

bool stage_batch::is_due(notify_time now) const {
  const auto due = due_at();
  return due && now >= *due;
}

std::vector<std::string> stage_batch::take() {
  started_.reset();
  return std::exchange(circuits_, {});
}

// -- retries ------------------------------------------------------------------

bool is_delivered(int status) {
  return status >= 200 && status < 300;
}

std::chrono::seconds retry_after_delay(std::optional<int> retry_after_s) {
  const std::chrono::seconds asked{retry_after_s.value_or(1)};
  return std::clamp(asked, retry_after_min, retry_after_max);
}

std::optional<std::chrono::seconds>
retry_delay(int tries, int status, std::optional<int> retry_after_s) {
  if (tries >= notify_max_tries || is_delivered(status)) {
    return std::nullopt;
  }
  if (status == 429) {
    return retry_after_delay(retry_after_s);
  }
  if (status >= 400 && status < 500 && status != 408) {
    return std::nullopt;
  }
  // 1 s after the first try, 2 s after the second.
  return std::chrono::seconds{1 << std::max(0, tries - 1)};
}

std::optional<int> parse_retry_after(std::string_view value) {
  while (!value.empty() && is_blank(value.front())) {
    value.remove_prefix(1);
  }
  while (!value.empty() && is_blank(value.back())) {
    value.remove_suffix(1);
  }
  if (value.empty()) {
    return std::nullopt;
  }
  constexpr int64_t max = std::numeric_limits<int32_t>::max();
  int64_t n = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    n = std::min(max, n * 10 + (c - '0'));
  }
  return static_cast<int>(n);
}

} // namespace tdd::core
