#include "calc.h"

/* Implementations arrive one TDD task at a time. */
