#!/bin/sh
# Compiles each test file given with the library and runs it; the first
# failure fails the run. Used as the tasks' verify command.
set -e
mkdir -p .build
for t in "$@"; do
  [ -f "$t" ] || { echo "no such test file: $t" >&2; exit 1; }
  name=$(basename "$t" .c)
  cc -std=c11 -Wall -Werror -I. -o ".build/$name" "$t" calc.c
  ".build/$name"
done
