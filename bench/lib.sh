# bench/lib.sh: sourced by the bench scripts (not run on its own).
#
# bench_summary BENCH WHAT VALUE TARGET VERDICT
#   When $BENCH_SUMMARY names a file (bench/all sets it), appends one
#   tab-separated row to it: the figure VALUE (with its unit) of WHAT in
#   BENCH, its TARGET ("-" for none) and VERDICT: ok, MISSED (a target not
#   met) or "-" (no target). bench/all prints these rows as one table.
bench_summary() {
  [ -n "${BENCH_SUMMARY:-}" ] || return 0
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$BENCH_SUMMARY"
}

# bench_verdict VALUE LIMIT: "ok" when VALUE <= LIMIT (numbers), else MISSED.
bench_verdict() {
  python3 -c 'import sys; print("ok" if float(sys.argv[1]) <= float(sys.argv[2]) else "MISSED")' "$1" "$2"
}
