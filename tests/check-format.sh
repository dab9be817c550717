#!/bin/sh
# check-format.sh - src/ and tests/ stay formatted with the committed
# .clang-format (clang-format 14, Debian 12's; another version lays some
# lines out differently, so only that one is asked).  Prints the files
# that differ and how to fix them.  Skips (77) only when clang-format-14
# is not installed (.ci/packages installs it).
set -u
top_srcdir=${top_srcdir:-..}
CF=${JMX_CLANG_FORMAT:-clang-format-14}
command -v "$CF" >/dev/null 2>&1 || { echo "check-format: SKIP: $CF not found"; exit 77; }
cd "$top_srcdir" || exit 1
fail=0 n=0
for f in $(find src tests -name '*.[ch]' ! -name 'config.h' | sort); do
	n=$((n + 1))
	if ! "$CF" --style=file --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "check-format.sh: FAIL: $f is not formatted (run: $CF -i --style=file $f)"
		fail=1
	fi
done
echo "check-format.sh: $n files checked"
exit $fail
