#include "core/log.hpp"

#include <doctest/doctest.h>

#include <iostream>
#include <sstream>

TEST_CASE("log_line writes one escaped key=value line to stderr") {
  std::ostringstream captured;
  auto* old = std::cerr.rdbuf(captured.rdbuf());
  tdd::core::log_line("warn", "store", 7, "write_failed",
                      {{"error", "disk \"full\"\nnow"}, {"key", "A"}});
  std::cerr.rdbuf(old);
  CHECK(captured.str()
        == "level=warn actor=store id=7 event=write_failed "
           "error=\"disk \\\"full\\\"\\x0anow\" key=\"A\"\n");
}
