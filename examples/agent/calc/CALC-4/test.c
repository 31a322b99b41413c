#include "calc.h"
#include "check.h"

#include <limits.h>

int main(void) {
  int x = 0;
  int p = 0;
  CHECK(calc_div(7, 2, &x) == 0 && x == 3);
  CHECK(calc_div(-7, 2, &x) == 0 && x == -3);
  /* Division undoes multiplication. */
  CHECK(calc_mul(6, 7, &p) == 0 && calc_div(p, 7, &x) == 0 && x == 6);
  CHECK(calc_div(1, 0, &x) == -1);
  CHECK(calc_div(INT_MIN, -1, &x) == -1);
  return check_status();
}
