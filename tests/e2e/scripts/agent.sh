#!/bin/sh
# A scripted agent for the `orchestrator run` end-to-end tests
# (tests/e2e/run*_test.cpp). Run as
#   cmd:/bin/sh '/abs/tests/e2e/scripts/agent.sh' '/abs/state-dir'
# in a worktree of the tiny shell project that run_repo.hpp sets up:
#   check.sh FILE...   runs each test file (a missing one fails);
#   check.sh --all     runs every tests/*.sh, fails if REGRESSION exists.
#
# The state directory (outside the repository) holds:
#   scenario   lines `KEY:STAGE:ATTEMPT=ACTION...`, each field a sh pattern
#              (`*` matches anything); the first line that matches
#              "$TDD_TASK_KEY:$TDD_STAGE:$TDD_ATTEMPT" gives the actions,
#              run in order. No match: `good`.
#   calls      one line per invocation: KEY STAGE ATTEMPT ACTIONS
#   failure.KEY.ATTEMPT  a copy of $TDD_FAILURE_FILE, for each fix call
#   markers and pid files the actions leave (see below).
#
# E2E_AGENT_DELAY=SECONDS (optional, e.g. 0.2): every call sleeps that long
# first, before it records its call, so crash tests find agents in flight.
#
# Actions:
#   good        red: a failing test in $TDD_TEST_FILE; green, fix: the
#               implementation in $TDD_IMPL_FILE (fix also removes
#               REGRESSION); refactor: nothing.
#   red_passes  a test that passes without any implementation
#   edit_test   the implementation, and a change to the test file
#   bad_impl    an implementation that fails the test
#   regress     the implementation, plus a REGRESSION marker that only
#               `check.sh --all` (verify_all) notices
#   break       an implementation marked BROKEN_BY_REFACTOR that fails
#   limit       the first time for this key and stage: exit 75 with
#               {"retry_after_s": 1}; afterwards: good
#   fail        exit 1
#   hang        starts `sleep 300 &`, writes its pid to hang.KEY.STAGE.pid,
#               and waits for it
#   conflict    the implementation, plus conflict.txt holding the key:
#               two tasks doing it change the same line differently
#   sync        waits (up to 30 s) until two agents of this stage reached
#               their sync; writes sync_timeout.KEY.STAGE if none came
#   noop        nothing
#   procs       starts a background `sleep 300` in the agent's group and a
#               `sleep 300` daemon in a session of its own (setsid), then
#               appends the agent's pid, the sleep's and the daemon's to
#               `pids`, one a line (used by the no-zombies tests; follow
#               it with `good` or `hang`)
# Every successful call prints {"cost_usd": 0.01, "tokens": 100} last.

state=$1
cat > /dev/null
[ -n "${E2E_AGENT_DELAY:-}" ] && sleep "$E2E_AGENT_DELAY"

key=$TDD_TASK_KEY
stage=$TDD_STAGE
attempt=$TDD_ATTEMPT

actions=good
if [ -f "$state/scenario" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
    '' | '#'*) continue ;;
    esac
    pattern=${line%%=*}
    # Unquoted: the pattern's `*` are glob characters.
    # shellcheck disable=SC2254
    case "$key:$stage:$attempt" in
    $pattern)
      actions=${line#*=}
      break
      ;;
    esac
  done < "$state/scenario"
fi
printf '%s %s %s %s\n' "$key" "$stage" "$attempt" "$actions" >> "$state/calls"
if [ "$stage" = fix ] && [ -r "${TDD_FAILURE_FILE:-}" ]; then
  cp "$TDD_FAILURE_FILE" "$state/failure.$key.$attempt"
fi

write_test() {
  mkdir -p "$(dirname "$TDD_TEST_FILE")"
  # The test file's own $out, not ours.
  # shellcheck disable=SC2016
  {
    printf 'out=$(sh %s 2>/dev/null)\n' "'$TDD_IMPL_FILE'"
    printf '[ "$out" = %s ] || { echo "FAIL: %s: got [$out]"; exit 1; }\n' \
      "'$key ok'" "$key"
  } > "$TDD_TEST_FILE"
}
write_impl() {
  mkdir -p "$(dirname "$TDD_IMPL_FILE")"
  printf 'echo %s\n' "'$key ok'" > "$TDD_IMPL_FILE"
}

good() {
  case $stage in
  red) write_test ;;
  green) write_impl ;;
  fix)
    write_impl
    rm -f REGRESSION
    ;;
  esac
}

for action in $actions; do
  case "$action:$stage" in
  good:*) good ;;
  red_passes:*)
    mkdir -p "$(dirname "$TDD_TEST_FILE")"
    printf 'exit 0\n' > "$TDD_TEST_FILE"
    ;;
  edit_test:*)
    write_impl
    printf '# tweaked by green\n' >> "$TDD_TEST_FILE"
    ;;
  bad_impl:*)
    mkdir -p "$(dirname "$TDD_IMPL_FILE")"
    printf 'echo wrong\n' > "$TDD_IMPL_FILE"
    ;;
  regress:*)
    write_impl
    printf 'left behind by %s\n' "$key" > REGRESSION
    ;;
  break:*)
    printf '# BROKEN_BY_REFACTOR\necho broken\n' > "$TDD_IMPL_FILE"
    ;;
  limit:*)
    marker="$state/limit.$key.$stage"
    if [ ! -e "$marker" ]; then
      : > "$marker"
      echo "usage limit reached, try again later"
      echo '{"retry_after_s": 1}'
      exit 75
    fi
    good
    ;;
  fail:*)
    echo "agent.sh: failing on purpose"
    exit 1
    ;;
  hang:*)
    # A child in the agent's process group: a timeout must kill the
    # whole group, not just this shell.
    sleep 300 &
    echo $! > "$state/hang.$key.$stage.pid.tmp"
    mv "$state/hang.$key.$stage.pid.tmp" "$state/hang.$key.$stage.pid"
    wait
    ;;
  conflict:*)
    write_impl
    printf 'owner=%s\n' "$key" > conflict.txt
    ;;
  sync:*)
    : > "$state/sync.$stage.$key"
    n=0
    while [ "$n" -lt 300 ]; do
      count=0
      for f in "$state/sync.$stage".*; do
        [ -e "$f" ] && count=$((count + 1))
      done
      [ "$count" -ge 2 ] && break
      sleep 0.1
      n=$((n + 1))
    done
    [ "$n" -lt 300 ] || : > "$state/sync_timeout.$key.$stage"
    ;;
  noop:*) ;;
  procs:*)
    # Output to /dev/null: neither may hold the agent's output pipe.
    sleep 300 > /dev/null 2>&1 &
    child=$!
    daemon_file="$state/daemon.$$"
    # The daemon writes its own pid: setsid(1) forks when it must.
    # shellcheck disable=SC2016
    setsid /bin/sh -c 'echo $$ > "$1.tmp"; mv "$1.tmp" "$1"; exec sleep 300' \
      sh "$daemon_file" < /dev/null > /dev/null 2>&1 &
    n=0
    while [ ! -s "$daemon_file" ] && [ "$n" -lt 300 ]; do
      sleep 0.05
      n=$((n + 1))
    done
    printf '%s\n%s\n%s\n' "$$" "$child" "$(cat "$daemon_file")" \
      >> "$state/pids"
    ;;
  *)
    echo "agent.sh: unknown action $action for stage $stage"
    exit 2
    ;;
  esac
done
echo '{"cost_usd": 0.01, "tokens": 100}'
exit 0
