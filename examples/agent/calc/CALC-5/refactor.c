#include "calc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

/* Reads an int at *p (after optional spaces) and moves *p past it.
 * Returns 0, or -1 when there is no number or it does not fit. */
static int read_int(const char** p, int* value) {
  char* end = NULL;
  long v = 0;
  errno = 0;
  v = strtol(*p, &end, 10);
  if (end == *p || errno == ERANGE || v < INT_MIN || v > INT_MAX) {
    return -1;
  }
  *p = end;
  *value = (int)v;
  return 0;
}

static const char* skip_spaces(const char* p) {
  while (isspace((unsigned char)*p)) {
    p++;
  }
  return p;
}

int calc_eval(const char* expr, int* out) {
  const char* p = expr;
  int a = 0;
  int b = 0;
  char op = 0;

  if (read_int(&p, &a) != 0) {
    return -1;
  }
  p = skip_spaces(p);
  op = *p;
  if (op == '\0') {
    return -1;
  }
  p++;
  if (read_int(&p, &b) != 0 || *skip_spaces(p) != '\0') {
    return -1;
  }
  switch (op) {
  case '+':
    *out = calc_add(a, b);
    return 0;
  case '-':
    *out = calc_sub(a, b);
    return 0;
  case '*':
    return calc_mul(a, b, out);
  case '/':
    return calc_div(a, b, out);
  default:
    return -1;
  }
}
