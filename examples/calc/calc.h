#ifndef CALC_H
#define CALC_H

/* Integer calculator, built test-first by tdd-orchestrator's demo. */

int calc_add(int a, int b);
int calc_sub(int a, int b);
int calc_mul(int a, int b, int* out);
int calc_div(int a, int b, int* out);
int calc_eval(const char* expr, int* out);

#endif
