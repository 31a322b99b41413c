#include "calc.h"

#include <limits.h>

int calc_div(int a, int b, int* out) {
  if (b == 0 || (a == INT_MIN && b == -1)) {
    return -1;
  }
  *out = a / b; /* C division truncates toward zero */
  return 0;
}
