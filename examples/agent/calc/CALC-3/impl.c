#include "calc.h"

#include <limits.h>

int calc_mul(int a, int b, int* out) {
  if (a != 0 && b != 0) {
    if (a > 0 ? (b > 0 ? a > INT_MAX / b : b < INT_MIN / a)
              : (b > 0 ? a < INT_MIN / b : a < INT_MAX / b)) {
      return -1;
    }
  }
  *out = a * b;
  return 0;
}
