#include "calc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

int calc_eval(const char* expr, int* out) {
  const char* p = expr;
  char* end = NULL;
  long a = 0;
  long b = 0;
  char op = 0;

  errno = 0;
  a = strtol(p, &end, 10);
  if (end == p || errno == ERANGE || a < INT_MIN || a > INT_MAX) {
    return -1;
  }
  p = end;
  while (isspace((unsigned char)*p)) {
    p++;
  }
  op = *p;
  if (op == '\0') {
    return -1;
  }
  p++;
  errno = 0;
  b = strtol(p, &end, 10);
  if (end == p || errno == ERANGE || b < INT_MIN || b > INT_MAX) {
    return -1;
  }
  p = end;
  while (isspace((unsigned char)*p)) {
    p++;
  }
  if (*p != '\0') {
    return -1;
  }
  switch (op) {
  case '+':
    *out = calc_add((int)a, (int)b);
    return 0;
  case '-':
    *out = calc_sub((int)a, (int)b);
    return 0;
  case '*':
    return calc_mul((int)a, (int)b, out);
  case '/':
    return calc_div((int)a, (int)b, out);
  default:
    return -1;
  }
}
