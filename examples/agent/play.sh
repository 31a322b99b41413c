#!/bin/sh
# A scripted stand-in for an AI coding agent: it plays canned solutions
# for the demo project (examples/calc) so that a whole `orchestrator run`
# works without an AI. Protocol (SPEC.md 4, "Agents"): run without a shell
# in the task's worktree, prompt on stdin, the task in TDD_* variables,
# exit 0 when done, last output line a JSON cost report.
#
#   orchestrator run --agent "cmd:'/abs/path/examples/agent/play.sh'"
#
# Solutions: <this dir>/calc/<TASK KEY>/
#   test.c        red: written to $TDD_TEST_FILE
#   impl.c        green and fix: written to $TDD_IMPL_FILE
#   impl-buggy.c  green attempt 1 only, when present (a wrong first try)
#   refactor.c    refactor, when present; otherwise refactor changes nothing
# DEMO_AGENT_DELAY=SECONDS makes every call take that long (default 0).
set -eu

# Read the whole prompt so the orchestrator never writes into a closed pipe.
cat >/dev/null

fail() {
  echo "play.sh: $*" >&2
  exit 2
}

here=$(cd "$(dirname "$0")" && pwd)
key=${TDD_TASK_KEY:-}
stage=${TDD_STAGE:-}
attempt=${TDD_ATTEMPT:-1}

case "$key" in
  '' | .* | */*) fail "no canned solution for task '$key'" ;;
esac
solutions="$here/calc/$key"
[ -d "$solutions" ] || fail "no canned solution for task '$key'"
case "$attempt" in
  '' | *[!0-9]*) fail "TDD_ATTEMPT is not a number: '$attempt'" ;;
esac

# put SOURCE DEST: copies a canned file into the worktree.
put() {
  [ -n "$2" ] || fail "$key $stage: no target file given"
  mkdir -p "$(dirname "$2")"
  cp "$1" "$2"
}

# Deterministic, slightly varying cost: base per stage + task number.
n=${key##*-}
case "$n" in
  '' | *[!0-9]* | ???????*) n=0 ;;
esac
case "$stage" in
  red) base=112 ;;
  green) base=187 ;;
  fix) base=143 ;;
  refactor) base=68 ;;
  *) fail "unknown stage '$stage' (expected red, green, fix or refactor)" ;;
esac

sleep "${DEMO_AGENT_DELAY:-0}"

echo "play.sh: $key $stage (attempt $attempt): reading the task"
case "$stage" in
  red)
    put "$solutions/test.c" "${TDD_TEST_FILE:-}"
    echo "play.sh: $key red: wrote $TDD_TEST_FILE"
    ;;
  green)
    if [ "$attempt" -eq 1 ] && [ -f "$solutions/impl-buggy.c" ]; then
      put "$solutions/impl-buggy.c" "${TDD_IMPL_FILE:-}"
      echo "play.sh: $key green: wrote $TDD_IMPL_FILE (first try)"
    else
      put "$solutions/impl.c" "${TDD_IMPL_FILE:-}"
      echo "play.sh: $key green: wrote $TDD_IMPL_FILE"
    fi
    ;;
  fix)
    put "$solutions/impl.c" "${TDD_IMPL_FILE:-}"
    echo "play.sh: $key fix: rewrote $TDD_IMPL_FILE after the failing suite"
    ;;
  refactor)
    if [ -f "$solutions/refactor.c" ]; then
      put "$solutions/refactor.c" "${TDD_IMPL_FILE:-}"
      echo "play.sh: $key refactor: tidied $TDD_IMPL_FILE"
    else
      echo "play.sh: $key refactor: nothing worth changing"
    fi
    ;;
esac

# In units of $0.0001.
cost=$((base + 9 * n + 21 * (attempt - 1)))
printf '{"cost_usd": %d.%04d, "tokens": %d}\n' $((cost / 10000)) \
  $((cost % 10000)) $((cost * 11 + 7 * n))
