#include "calc.h"

int calc_sub(int a, int b) { return a - b; }
