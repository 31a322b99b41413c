#!/bin/sh
# The scripted agent of bench/soak: run as
#   cmd:/bin/sh '/abs/bench/soak-agent.sh'
# in a task's worktree. It appends its pid to $SOAK_PIDS (so the soak can
# find agents that outlive a kill -9 of the orchestrator), sleeps
# $SOAK_AGENT_DELAY seconds (so kills find agents in flight), then does the
# stage's work on the tiny shell project bench/soak sets up:
#   red: a test in $TDD_TEST_FILE that fails until the implementation
#   exists; green, fix: the implementation in $TDD_IMPL_FILE; refactor:
#   nothing.
cat > /dev/null
[ -n "${SOAK_PIDS:-}" ] && echo $$ >> "$SOAK_PIDS"
[ -n "${SOAK_AGENT_DELAY:-}" ] && sleep "$SOAK_AGENT_DELAY"

key=$TDD_TASK_KEY
case $TDD_STAGE in
red)
  mkdir -p "$(dirname "$TDD_TEST_FILE")"
  # The test file's own $out, not ours.
  # shellcheck disable=SC2016
  {
    printf 'out=$(sh %s 2>/dev/null)\n' "'$TDD_IMPL_FILE'"
    printf '[ "$out" = %s ] || { echo "FAIL: %s: got [$out]"; exit 1; }\n' \
      "'$key ok'" "$key"
  } > "$TDD_TEST_FILE"
  ;;
green | fix)
  mkdir -p "$(dirname "$TDD_IMPL_FILE")"
  printf 'echo %s\n' "'$key ok'" > "$TDD_IMPL_FILE"
  ;;
esac
echo '{"cost_usd": 0.01, "tokens": 100}'
