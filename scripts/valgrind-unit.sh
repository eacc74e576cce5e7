#!/bin/bash
# valgrind-unit.sh BINARY [ARGS...]: runs a Criterion unit test under
# valgrind memcheck and fails on any error valgrind reports in any process.
# Criterion runs each test in a child and does not fail a test whose child
# exits with valgrind's --error-exitcode, so the verdict is read from each
# process's own log ("ERROR SUMMARY: N errors"), not from exit codes.
set -uo pipefail
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
valgrind --trace-children=yes --leak-check=full --errors-for-leak-kinds=definite \
	--log-file="$logs/vg.%p" "$@"
rc=$?
n=$(find "$logs" -name 'vg.*' | wc -l)
bad=$(grep -l 'ERROR SUMMARY: [1-9]' "$logs"/vg.* 2>/dev/null)
if [ -n "$bad" ]; then
	for f in $bad; do sed -n '/== [A-Z].*/,$p' "$f" | head -n 60; done
	echo "valgrind-unit: errors in $(echo "$bad" | wc -w) of $n processes of $1" >&2
	exit 1
fi
if [ "$n" -lt 2 ]; then # the runner and at least one test child
	echo "valgrind-unit: valgrind watched $n processes of $1: did the tests run?" >&2
	exit 1
fi
echo "valgrind-unit: $n processes of $(basename "$1"), no error"
exit "$rc"
