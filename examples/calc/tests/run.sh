#!/bin/sh
# Usage: sh tests/run.sh TEST_FILE...
# Compiles the library (every src/*.c that exists so far; there are none at
# the start), then links each test file with it and runs it. The first test
# that does not compile, link or pass fails the run. Build products go to
# .build/ (git-ignored). The tasks' verify and verify_all commands.
set -eu
if [ "$#" -eq 0 ]; then
  echo "usage: sh tests/run.sh TEST_FILE..." >&2
  exit 2
fi
cc_flags="-std=c11 -Wall -Werror -I."
rm -rf .build
mkdir -p .build/lib
have_lib=no
for s in src/*.c; do
  [ -f "$s" ] || continue
  have_lib=yes
  # shellcheck disable=SC2086 # cc_flags is a list of words
  if ! cc $cc_flags -c -o ".build/lib/$(basename "$s" .c).o" "$s"; then
    echo "run.sh: FAIL $s does not compile" >&2
    exit 1
  fi
done
for t in "$@"; do
  if [ ! -f "$t" ]; then
    echo "run.sh: no such test file: $t" >&2
    exit 1
  fi
  bin=".build/$(basename "$t" .c)"
  built=0
  # shellcheck disable=SC2086
  if [ "$have_lib" = yes ]; then
    cc $cc_flags -o "$bin" "$t" .build/lib/*.o || built=$?
  else
    cc $cc_flags -o "$bin" "$t" || built=$?
  fi
  if [ "$built" -ne 0 ]; then
    echo "run.sh: FAIL $t does not compile or link" >&2
    exit 1
  fi
  status=0
  "$bin" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "run.sh: FAIL $t (exit status $status)" >&2
    exit 1
  fi
  echo "run.sh: ok $t"
done
