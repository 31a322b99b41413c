#include "calc.h"
#include "check.h"

#include <limits.h>

int main(void) {
  int x = 0;
  CHECK(calc_mul(6, 7, &x) == 0 && x == 42);
  CHECK(calc_mul(-3, 4, &x) == 0 && x == -12);
  /* Doubling agrees with addition. */
  const int ns[] = {-5, 0, 9};
  for (unsigned i = 0; i < sizeof ns / sizeof ns[0]; i++) {
    CHECK(calc_mul(ns[i], 2, &x) == 0 && x == calc_add(ns[i], ns[i]));
  }
  CHECK(calc_mul(INT_MAX, 2, &x) == -1);
  CHECK(calc_mul(INT_MIN, -1, &x) == -1);
  return check_status();
}
