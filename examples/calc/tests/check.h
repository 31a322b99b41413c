/* Test helpers shared by the calc tests (part of the initial project). */
#ifndef CALC_TESTS_CHECK_H
#define CALC_TESTS_CHECK_H

#include <stdio.h>

static int check_failures;

/* Reports a condition that does not hold (file, line, text) and goes on. */
#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond);     \
      check_failures++;                                                      \
    }                                                                        \
  } while (0)

/* main's exit status: 0 when every CHECK held. */
static int check_status(void) {
  if (check_failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", check_failures);
    return 1;
  }
  return 0;
}

#endif
