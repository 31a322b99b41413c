#include "cli/commands.hpp"

#include <csignal>

int main(int argc, char** argv) {
  // A monitoring client (or Slack) that hangs up mid-answer must not kill
  // the process: the write fails with EPIPE instead. Children start with
  // default dispositions again (exec/child_process.cpp).
  std::signal(SIGPIPE, SIG_IGN);
  return tdd::cli::run_cli(argc, argv);
}
