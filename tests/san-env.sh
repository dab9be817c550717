# san-env.sh - shared by the sanitizer scripts (asan.sh, rtsan.sh): a copy
# of the source tree to configure and build with clang and a sanitizer,
# out of the way of the tree under test (which may itself be configured in
# place, so that a VPATH build from it is not possible).  Sourced (POSIX
# sh), never run.
#
#   san_nested_guard     exit 77 when running inside a sanitizer copy's own
#                        make check (never meant to happen: a guard
#                        against running the suite recursively)
#   san_make ARGS        make without the calling make's MAKEFLAGS: under
#                        make check they carry TEST_LOGS (the outer test
#                        list, this script included) and jobserver fds
#   san_clang            clang-22 (SAN_CC) or exit 77 when it is missing
#   san_tree DIR         copy $top_srcdir's sources into DIR: everything
#                        but build products, logs and test scratch
#                        directories (tests/ keeps only its files and
#                        fuzz-corpus/)
#   san_build DIR LOG CFLAGS [make targets]
#                        configure DIR with CC=clang and CFLAGS (also used
#                        to link), then make; 1 (after showing LOG) on failure

san_nested_guard() {
	if [ -n "${JMX_SAN_NESTED:-}" ]; then
		echo "${0##*/}: SKIP: inside a sanitizer build's own test run"
		exit 77
	fi
	JMX_SAN_NESTED=1
	export JMX_SAN_NESTED
}

san_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES make "$@"
}

san_clang() {
	SAN_CC=${SAN_CC:-clang-22}
	command -v "$SAN_CC" >/dev/null 2>&1 || {
		echo "${0##*/}: SKIP: $SAN_CC not found"
		exit 77
	}
}

san_tree() {
	mkdir -p "$1" || return 1
	(
		cd "$top_srcdir" || exit 1
		find . \( -name .git -o -name autom4te.cache -o -name .libs -o -name .deps \) -prune -o \
			\( -path './tests/*' -type d ! -path './tests/fuzz-corpus' ! -path './tests/fuzz-corpus/*' \) \
			-prune -o -type f ! -name '*.o' ! -name '*.a' ! -name '*.lo' ! -name '*.la' ! -name '*.log' \
			! -name '*.trs' ! -name Makefile ! -name config.status ! -name config.h ! -name stamp-h1 \
			! -name libtool ! -name 'core*' -print | tar --ignore-failed-read -cf - -T - 2>/dev/null
	) | (cd "$1" && tar -xf -)
	[ -x "$1/configure" ] && [ -f "$1/src/Makefile.in" ]
}

san_build() {
	sb_dir=$1 sb_log=$2 sb_flags=$3
	shift 3
	# shellcheck disable=SC2086 # SAN_CONFIGURE is a word list
	if ! (cd "$sb_dir" && ./configure ${SAN_CONFIGURE:-} CC="$SAN_CC" CFLAGS="$sb_flags" LDFLAGS="$sb_flags" >"$sb_log" 2>&1 &&
		san_make -j2 "$@" >>"$sb_log" 2>&1); then
		tail -n 40 "$sb_log"
		return 1
	fi
	return 0
}
