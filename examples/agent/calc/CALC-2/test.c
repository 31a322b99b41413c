#include "calc.h"
#include "check.h"

int main(void) {
  CHECK(calc_sub(5, 3) == 2);
  CHECK(calc_sub(0, 7) == -7);
  CHECK(calc_sub(-2, -2) == 0);
  return check_status();
}
