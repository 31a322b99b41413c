#!/bin/sh
# A scripted agent for the stage runner tests (tests/exec/stage_runner_*).
# Run as `cmd:/bin/sh stage_agent.sh MODE`; it acts on $TDD_STAGE and MODE
# by writing canned files of a tiny shell project: calc.sh (the
# implementation) and the task's test file. With $TDD_TEST_SPY set to a
# directory, it records there what it was given.

mode=$1

if [ -n "${TDD_TEST_SPY:-}" ]; then
  cat > "$TDD_TEST_SPY/stdin"
  cp "$TDD_PROMPT_FILE" "$TDD_TEST_SPY/prompt"
  printf '%s\n' "$TDD_PROMPT_FILE" > "$TDD_TEST_SPY/prompt_path"
  env | grep '^TDD_' | grep -v '^TDD_TEST_SPY=' | sort > "$TDD_TEST_SPY/env"
  if [ -n "${TDD_FAILURE_FILE:-}" ]; then
    cp "$TDD_FAILURE_FILE" "$TDD_TEST_SPY/failure"
  fi
  printf '%s\n' "$TDD_STAGE" >> "$TDD_TEST_SPY/calls"
fi

write_test() {
  printf '%s\n' '. ./calc.sh' \
    '[ "$(add 2 3)" = 5 ] || { echo "FAIL: add 2 3"; exit 1; }' \
    > "$TDD_TEST_FILE"
}
write_add() {
  printf '%s\n' 'add() { echo $(($1 + $2)); }' > "$TDD_IMPL_FILE"
}
write_add_sub() {
  write_add
  printf '%s\n' 'sub() { echo $(($1 - $2)); }' >> "$TDD_IMPL_FILE"
}

case "$mode:$TDD_STAGE" in
good:red) write_test ;;
good:green | good:fix | partial:fix) write_add_sub ;;
partial:green) write_add ;;
good:refactor)
  printf '%s\n' '# Arithmetic for the tests.' 'add() { echo $(($1 + $2)); }' \
    'sub() { echo $(($1 - $2)); }' > "$TDD_IMPL_FILE"
  echo "refactored" > NOTES
  ;;
passing-test:red) printf 'true\n' > "$TDD_TEST_FILE" ;;
edit-test:green)
  write_add_sub
  echo '# tweaked' >> "$TDD_TEST_FILE"
  ;;
bad-impl:*) printf '%s\n' 'add() { echo 0; }' > "$TDD_IMPL_FILE" ;;
break:refactor)
  printf '%s\n' 'add() { echo broken; }' > "$TDD_IMPL_FILE"
  mkdir -p junk && echo junk > junk/file
  rm -f README
  ;;
delete-test:red) rm -f "$TDD_TEST_FILE" ;;
noop:*) ;;
limit:*)
  write_test
  echo "usage limit reached"
  echo '{"retry_after_s": 42}'
  exit 75
  ;;
fail:*)
  write_test
  echo "boom: the agent failed"
  exit 1
  ;;
hang:*)
  # A child in the agent's process group that outlives a plain kill of
  # the agent: the timeout must take the whole group.
  sleep 60 &
  echo $! > "$TDD_TEST_SPY/child"
  if [ -p "$TDD_TEST_SPY/ready" ]; then
    echo ready > "$TDD_TEST_SPY/ready"
  fi
  wait
  ;;
*)
  echo "stage_agent.sh: unknown mode:stage $mode:$TDD_STAGE"
  exit 2
  ;;
esac
exit 0
