#include "cli/commands.hpp"

int main(int argc, char** argv) {
  return tdd::cli::run_cli(argc, argv);
}
