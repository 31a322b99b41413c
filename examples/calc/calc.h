#ifndef CALC_H
#define CALC_H

/* Integer calculator, built test-first by tdd-orchestrator's demo.
 * Every function is declared up front; each one is implemented by its own
 * TDD task in its own file under src/ (src/add.c, src/sub.c, ...), so tasks
 * that run in parallel never edit the same file. */

/* CALC-1: a + b. */
int calc_add(int a, int b);
/* CALC-2: a - b. */
int calc_sub(int a, int b);
/* CALC-3: stores a * b in *out and returns 0; returns -1 on overflow. */
int calc_mul(int a, int b, int* out);
/* CALC-4: stores a / b (truncated toward zero) in *out and returns 0;
 * returns -1 when b == 0 or the quotient overflows. */
int calc_div(int a, int b, int* out);
/* CALC-5: evaluates one "a op b" expression (op: + - * /), stores the value
 * in *out and returns 0; returns -1 on a syntax or arithmetic error. */
int calc_eval(const char* expr, int* out);

#endif
