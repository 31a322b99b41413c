#include "calc.h"
#include "check.h"

int main(void) {
  CHECK(calc_add(2, 3) == 5);
  CHECK(calc_add(-1, 1) == 0);
  CHECK(calc_add(-4, -6) == -10);
  return check_status();
}
