#include "calc.h"
#include "check.h"

int main(void) {
  int x = 0;
  CHECK(calc_eval("2 + 3", &x) == 0 && x == 5);
  CHECK(calc_eval("6*7", &x) == 0 && x == 42);
  CHECK(calc_eval("10 - -4", &x) == 0 && x == 14);
  CHECK(calc_eval(" 7 / 2 ", &x) == 0 && x == 3);
  CHECK(calc_eval("1 / 0", &x) == -1);
  CHECK(calc_eval("2147483647 * 2", &x) == -1);
  CHECK(calc_eval("oops", &x) == -1);
  CHECK(calc_eval("", &x) == -1);
  CHECK(calc_eval("1 +", &x) == -1);
  CHECK(calc_eval("1 + 2 + 3", &x) == -1);
  CHECK(calc_eval("2 % 3", &x) == -1);
  return check_status();
}
