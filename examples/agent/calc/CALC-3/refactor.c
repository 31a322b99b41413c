#include "calc.h"

#include <limits.h>

/* Whether a * b lies outside [INT_MIN, INT_MAX], decided without computing
 * it (signed overflow is undefined behaviour). Dividing the limit by one
 * factor gives the largest (or smallest) other factor that still fits. */
static int product_overflows(int a, int b) {
  if (a == 0 || b == 0) {
    return 0;
  }
  if (a > 0) {
    return b > 0 ? a > INT_MAX / b : b < INT_MIN / a;
  }
  return b > 0 ? a < INT_MIN / b : a < INT_MAX / b;
}

int calc_mul(int a, int b, int* out) {
  if (product_overflows(a, b)) {
    return -1;
  }
  *out = a * b;
  return 0;
}
