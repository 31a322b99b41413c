#include "messages/progress.hpp"

namespace tdd {

std::string to_string(progress_kind x) {
  switch (x) {
  case progress_kind::run_started:
    return "run_started";
  case progress_kind::task_started:
    return "task_started";
  case progress_kind::stage_started:
    return "stage_started";
  case progress_kind::stage_finished:
    return "stage_finished";
  case progress_kind::task_finished:
    return "task_finished";
  case progress_kind::merged:
    return "merged";
  case progress_kind::paused:
    return "paused";
  case progress_kind::resumed:
    return "resumed";
  case progress_kind::halted:
    return "halted";
  case progress_kind::run_finished:
    return "run_finished";
  case progress_kind::worker_lost:
    return "worker_lost";
  case progress_kind::node:
    return "node";
  }
  return "progress_kind(" + std::to_string(static_cast<int>(x)) + ")";
}

} // namespace tdd
