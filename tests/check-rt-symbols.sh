#!/bin/sh
# check-rt-symbols.sh - static gate on the RT convenience library
# (src/libjmxdsp.a): no code that the RT thread can reach may call anything
# that allocates, locks, waits, does I/O or enters JACK, liblo, libsndfile
# or libebur128.
#
#   check-rt-symbols.sh [--self-test] [ARCHIVE]
#
# Why not just `nm -u`: the same library legitimately holds the
# constructors (mixer_new, master_new ... allocate and pre-fault with
# posix_memalign/calloc; *_free release) next to the RT code, often in one
# object file, so a per-object list of undefined symbols cannot tell
# "mixer_new calls posix_memalign" (fine, control thread) from
# "mixer_process calls free" (a bug).  Instead this script builds the call
# graph of the whole archive from `objdump -dr` (direct calls, relocations
# in code, and function addresses stored in data tables) and asks what is
# reachable from the RT side:
#
#   RT entry points   every global function, except the control-only ones;
#                     every static function whose address is stored in
#                     data (it may be called through a pointer)
#   control-only      global functions whose name matches CONTROL_ONLY,
#                     by the thread contract of the headers: *_new and
#                     *_free run on the control thread, never while RT runs
#   reachable         through calls, tail calls, cold/clone/part pieces
#                     (foo.cold, foo.part.0, foo.default, foo.resolver)
#
# Every external symbol reachable from an RT entry point must be on the
# ALLOWED list; FORBIDDEN ones fail with the call path, and so do
# unclassified ones (decide, then add them to a list below).  If an RT
# function calls a control-only one (mixer_process -> mixer_free), the
# control function's callees become reachable and fail too.  Externals
# reachable only from control-only functions are listed for information.
#
# Limits, on purpose on the safe side: indirect calls through a pointer
# that is computed at run time from something other than a function
# address stored in data are not followed (the DSP has none; the runtime
# shim in rt-safety.sh covers what is executed).  A jump table entry that
# happens to equal a function's start address makes that function an RT
# entry point (a false alarm, never a miss).
#
# --self-test first proves the checker on a small archive built with $CC:
# a clean one must pass; a static helper of an RT function that calls
# free, a static function reached through a function-pointer table that
# calls malloc, an RT function calling a control-only one, an unclassified
# external and a printf must each fail, naming the symbol.  Run as a test
# with no arguments it does both (the self-test is skipped with a note if
# no C compiler is found).

: "${NM:=nm}"
: "${OBJDUMP:=objdump}"
NM=${NM%% *} # libtool's NM carries options ("nm -B")
me=${0##*/}

CONTROL_ONLY=${JMX_RT_CONTROL_ONLY:-'_(new|free)$'}

# ---- the lists (extended regular expressions, whole symbol names) ----------
# Forbidden, with the reason printed on failure.
F_ALLOC='^(malloc|calloc|realloc|reallocarray|free|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|strdup|strndup|asprintf|vasprintf|__libc_(malloc|calloc|realloc|free|memalign)|_Zn[wa].*|_Zd[la].*)$'
F_STDIO='^(printf|fprintf|sprintf|snprintf|vprintf|vfprintf|vsprintf|vsnprintf|dprintf|vdprintf|__[a-z]*printf_chk|puts|fputs|fputc|putc|putchar|fwrite|fread|fgets|fgetc|getc|getchar|fopen|fopen64|fdopen|freopen|fclose|fflush|fseek|ftell|setvbuf|perror|scanf|fscanf|sscanf|__isoc99_[a-z]*scanf|_IO_.*|__fread_chk|__fgets_chk|stdout|stderr|stdin)$'
F_LOCK='^(pthread_mutex_.*|pthread_cond_.*|pthread_rwlock_.*|pthread_spin_lock|pthread_barrier_wait|pthread_join|pthread_create|pthread_once|sem_wait|sem_timedwait|sem_clockwait|mtx_.*|cnd_.*|thrd_(create|join|sleep)|call_once)$'
F_SYS='^(sleep|usleep|nanosleep|clock_nanosleep|poll|ppoll|select|pselect|epoll_.*|read|write|pread|pread64|pwrite|pwrite64|readv|writev|__read_chk|open|open64|openat|openat64|__open_2|__open64_2|__openat_2|creat|close|fsync|fdatasync|sync|ioctl|send|sendto|sendmsg|recv|recvfrom|recvmsg|socket|connect|bind|accept|syslog|vsyslog|__syslog_chk|__vsyslog_chk|mmap|mmap64|munmap|mprotect|mlock|mlockall|munlock|madvise|fork|vfork|execv.*|system|popen|exit|_exit|atexit|getenv|setenv|putenv|signal|sigaction|raise|kill|dlopen|dlsym|dlclose|__tls_get_addr)$'
F_LIBS='^(jack_|lo_|sf_|ebur128_)'
F_ATOMIC='^__atomic_((load|store|exchange|compare_exchange)|.*_16)$'
# Allowed: pure computation, no allocation, locks or system calls.
A_LIBM='^(a?(sin|cos|tan)h?|atan2|exp|exp2|exp10|expm1|log|log2|log10|log1p|logb|pow|sqrt|cbrt|hypot|fabs|floor|ceil|round|lround|llround|trunc|rint|lrint|llrint|nearbyint|fmod|remainder|remquo|fmin|fmax|fdim|fma|copysign|ldexp|scalbn|scalbln|frexp|modf|ilogb|sincos|erf|erfc|tgamma|lgamma|nan)[fl]?$|^__(fpclassify|isnan|isinf|finite|signbit|issignaling)[fl]?$|^__[a-z0-9]*_finite$'
A_MEM='^(memcpy|memmove|memset|memcmp|memchr|mempcpy|bzero|explicit_bzero|strlen|strnlen|strcmp|strncmp|strchr|strrchr|__(memcpy|memmove|memset|mempcpy)_chk)$'
A_CPU='^(__cpu_model|__cpu_features2|__cpu_indicator_init|__get_cpu_features|__aarch64_have_lse_atomics|__aarch64_(cas|swp|ldadd|ldclr|ldeor|ldset)[0-9]+_(relax|acq|rel|acq_rel)|__init_cpu_features.*)$'
A_ATOMIC='^(__atomic_[a-z_]*_[1248]|__sync_.*)$'
A_RUNTIME='^(_GLOBAL_OFFSET_TABLE_|__stack_chk_fail|__stack_chk_guard|__assert_fail|abort|__errno_location|clock_gettime|sem_post|sem_trywait|__(u?(div|mod)|mul)[dt]i3|__(mul|div)[sdxt]c3|__(popcount|clz|ctz|ffs|parity)[sdt]i2|__bswap[sd]i2|__powi[sdx]f2|__(extend|trunc)[hsdxt]f[hsdxt]f2|__fix(uns)?[sdx]f[sdt]i|__float(un)?[sdt]i[sdx]f)$'

classify() { # prints "forbidden: REASON", "allowed" or "unclassified"
	s=$1
	if printf '%s\n' "$s" | grep -Eq "$F_ALLOC"; then echo "forbidden: allocates"
	elif printf '%s\n' "$s" | grep -Eq "$F_STDIO"; then echo "forbidden: stdio (locks, allocates, blocks)"
	elif printf '%s\n' "$s" | grep -Eq "$F_LOCK"; then echo "forbidden: lock, wait or thread management"
	elif printf '%s\n' "$s" | grep -Eq "$F_SYS"; then echo "forbidden: system call, sleep or loader"
	elif printf '%s\n' "$s" | grep -Eq "$F_LIBS"; then echo "forbidden: JACK/liblo/libsndfile/libebur128 are not RT code"
	elif printf '%s\n' "$s" | grep -Eq "$F_ATOMIC"; then echo "forbidden: libatomic may take a lock for this size"
	elif printf '%s\n' "$s" | grep -Eq "$A_LIBM|$A_MEM|$A_CPU|$A_ATOMIC|$A_RUNTIME"; then echo allowed
	else echo unclassified
	fi
}

# analyse ARCHIVE: prints lines "rt EXTERNAL PATH..." for every external
# reachable from an RT entry point, "ctl EXTERNAL" for those reachable only
# from control-only functions, and "info ..." lines.
analyse() {
	{
		echo "@@NM"
		"$NM" -A --defined-only "$1"
		echo "@@DIS"
		"$OBJDUMP" -dr --no-show-raw-insn "$1"
		echo "@@REL"
		"$OBJDUMP" -r "$1"
	} | awk -v control="$CONTROL_ONLY" '
	function hexval(s,    i, d, v) {
		v = 0
		s = tolower(s)
		sub(/^0x/, "", s)
		for (i = 1; i <= length(s); i++) {
			d = index("0123456789abcdef", substr(s, i, 1)) - 1
			if (d < 0)
				break
			v = v * 16 + d
		}
		return v
	}
	function base(name,    i) {
		i = index(name, ".")
		return i > 1 ? substr(name, 1, i - 1) : name
	}
	function nodeof(o, name) {
		return ((o SUBSEP name) in lfunc) ? "L:" o ":" name : "G:" name
	}
	function pretty(n,    a) {
		if (substr(n, 1, 2) == "G:")
			return substr(n, 3)
		split(substr(n, 3), a, ":")
		return a[2] "[" a[1] "]"
	}
	# a symbol as written in objdump: name, name+0x10, .text-0x4
	function resolve(o, raw,    name, add, m, a, k) {
		name = raw
		add = 0
		if (match(raw, /[-+]0x[0-9a-fA-F]+$/)) {
			name = substr(raw, 1, RSTART - 1)
			add = hexval(substr(raw, RSTART + 1))
			if (substr(raw, RSTART, 1) == "-")
				add = -add
		}
		if (substr(name, 1, 1) == ".") {
			for (k = 0; k <= 4; k += 4)
				if ((o SUBSEP name SUBSEP (add + k)) in fstart)
					return nodeof(o, fstart[o, name, add + k])
			return ""
		}
		sub(/@.*/, "", name)
		return nodeof(o, name)
	}
	function edge(s, t) {
		if (s == "" || t == "" || s == t || ((s SUBSEP t) in seen))
			return
		seen[s, t] = 1
		adj[s] = adj[s] " " t
	}
	function flush() {
		if (pending != "" && cur != "") {
			nref++
			rsrc[nref] = cur
			robj[nref] = obj
			rsym[nref] = pending
		}
		pending = ""
	}
	function isfunc(n,    nm) {
		if (substr(n, 1, 2) == "L:")
			return 1
		return (substr(n, 3) in gfunc)
	}
	function bfs(nroots, roots, reach, par,    q, h, t, i, n, a, k, u) {
		h = 1
		t = 0
		for (i = 1; i <= nroots; i++)
			if (!(roots[i] in reach)) {
				reach[roots[i]] = 1
				par[roots[i]] = ""
				q[++t] = roots[i]
			}
		while (h <= t) {
			u = q[h++]
			n = split(adj[u], a, " ")
			for (k = 1; k <= n; k++)
				if (!(a[k] in reach)) {
					reach[a[k]] = 1
					par[a[k]] = u
					q[++t] = a[k]
				}
		}
	}
	/^@@NM$/ { mode = "nm"; next }
	/^@@DIS$/ { mode = "dis"; obj = ""; next }
	/^@@REL$/ { mode = "rel"; flush(); obj = ""; next }
	mode == "nm" {
		line = $0
		i = index(line, ":")
		line = substr(line, i + 1)
		i = index(line, ":")
		o = substr(line, 1, i - 1)
		n = split(substr(line, i + 1), f, " ")
		if (n < 3)
			next
		objs[o] = 1
		if (f[2] ~ /^[A-Z]$/ || f[2] == "i")
			gdef[f[3]] = 1
		if (f[2] ~ /^[TW]$/ || f[2] == "i")
			gfunc[f[3]] = o
		else if (f[2] == "t")
			lfunc[o, f[3]] = 1
		next
	}
	mode == "dis" && /^[^ \t].*:[ \t]+file format / {
		flush(); cur = ""; obj = $1; sub(/:$/, "", obj); next
	}
	mode == "dis" && /^Disassembly of section / {
		flush(); cur = ""; sec = $4; sub(/:$/, "", sec); next
	}
	mode == "dis" && /^[0-9a-f]+ <.*>:$/ {
		flush()
		name = $0
		sub(/^[0-9a-f]+ </, "", name)
		sub(/>:$/, "", name)
		fstart[obj, sec, hexval($1)] = name
		nf++
		fobj[nf] = obj
		fname[nf] = name
		cur = nodeof(obj, name)
		next
	}
	mode == "dis" && /^[ \t]+[0-9a-f]+:[ \t]+R_/ {
		# the relocation belongs to the instruction just shown, whose
		# "<target>" was computed from an unrelocated field: drop it
		pending = ""
		if (cur != "") {
			nref++
			rsrc[nref] = cur
			robj[nref] = obj
			rsym[nref] = $3
		}
		next
	}
	mode == "dis" && /^[ \t]+[0-9a-f]+:\t/ {
		flush()
		if (match($0, /<[^<>]*>[^<>]*$/)) {
			t = substr($0, RSTART + 1)
			sub(/>.*/, "", t)
			sub(/\+0x[0-9a-f]+$/, "", t)
			pending = t
		}
		next
	}
	mode == "rel" && /^[^ \t].*:[ \t]+file format / {
		obj = $1; sub(/:$/, "", obj); next
	}
	mode == "rel" && /^RELOCATION RECORDS FOR / {
		rsec = $4
		gsub(/[\[\]:]/, "", rsec)
		userel = (rsec ~ /^\.(data|rodata)/)
		next
	}
	mode == "rel" && userel && NF >= 3 && $1 ~ /^[0-9a-fA-F]+$/ {
		nat++
		aobj[nat] = obj
		asym[nat] = $3
		next
	}
	END {
		flush()
		for (k = 1; k <= nref; k++)
			edge(rsrc[k], resolve(robj[k], rsym[k]))
		# a function owns its pieces and clones: foo -> foo.cold, foo.default
		for (k = 1; k <= nf; k++)
			if (index(fname[k], ".") > 1) {
				b = base(fname[k])
				if (((fobj[k] SUBSEP b) in lfunc) || (b in gfunc))
					edge(nodeof(fobj[k], b), nodeof(fobj[k], fname[k]))
			}
		for (g in gfunc)
			if (index(g, ".") > 1 && (base(g) in gfunc))
				edge("G:" base(g), "G:" g)
		nr = 0
		nc = 0
		for (g in gfunc) {
			if (base(g) ~ control) {
				croots[++nc] = "G:" g
				ctl_names = ctl_names " " g
			} else {
				rroots[++nr] = "G:" g
			}
		}
		for (k = 1; k <= nat; k++) {
			t = resolve(aobj[k], asym[k])
			if (t != "" && isfunc(t) && base(substr(t, 3)) !~ control && substr(t, 1, 2) == "L:") {
				rroots[++nr] = t
				ptr_names = ptr_names " " pretty(t)
			}
		}
		nobj = 0
		for (o in objs)
			nobj++
		print "info " nobj " objects, " nf " functions, " nr " RT entry points"
		print "info control-only:" ctl_names
		if (ptr_names != "")
			print "info called through pointers:" ptr_names
		bfs(nr, rroots, rreach, rpar)
		bfs(nc, croots, creach, cpar)
		for (u in rreach) {
			if (substr(u, 1, 2) != "G:" || (substr(u, 3) in gdef))
				continue
			path = pretty(u)
			for (p = rpar[u]; p != ""; p = rpar[p])
				path = pretty(p) " -> " path
			print "rt " substr(u, 3) " " path
		}
		for (u in creach)
			if (substr(u, 1, 2) == "G:" && !(substr(u, 3) in gdef) && !(u in rreach))
				print "ctl " substr(u, 3)
	}'
}

# check ARCHIVE: 0 if clean; prints findings.
check() {
	out=$(analyse "$1") || return 2
	printf '%s\n' "$out" | sed -n 's/^info /'"$me"': /p'
	printf '%s\n' "$out" | grep -q '^info .* [1-9][0-9]* functions' || {
		echo "$me: FAIL: no functions found in $1 (LTO objects? objdump cannot read them)"
		return 1
	}
	bad=0
	allowed=
	printf '%s\n' "$out" | grep '^rt ' | sort >"$tmp/rt"
	while read -r _ sym path; do
		c=$(classify "$sym")
		case $c in
		allowed) allowed="$allowed $sym" ;;
		forbidden*)
			echo "$me: FAIL: $sym (${c#forbidden: }) reachable on the RT thread: $path"
			bad=1
			;;
		*)
			echo "$me: FAIL: $sym is not classified; reachable on the RT thread: $path"
			echo "$me:   if it never allocates, locks, waits or makes a system call, add it to" \
				"the ALLOWED lists in $me; otherwise move the call off the RT path"
			bad=1
			;;
		esac
	done <"$tmp/rt"
	echo "$me: RT externals, allowed:${allowed:- none}"
	ctl=$(printf '%s\n' "$out" | sed -n 's/^ctl //p' | sort | tr '\n' ' ')
	echo "$me: control-thread-only externals: ${ctl:-none}"
	return $bad
}

self_test() {
	cc=${CC:-cc}
	command -v "${cc%% *}" >/dev/null 2>&1 || {
		echo "$me: NOTE: no C compiler ($cc): self-test skipped"
		return 0
	}
	d=$tmp/self
	mkdir -p "$d"
	cat >"$d/good.c" <<'EOF'
#include <math.h>
#include <stdlib.h>
#include <string.h>
struct x { float *buf; unsigned n; };
static __attribute__((noinline)) float *grab(unsigned n)
{
	void *p;
	return posix_memalign(&p, 64, n * sizeof(float)) ? NULL : p;
}
struct x *x_new(unsigned n)
{
	struct x *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->n = n;
	x->buf = grab(n);
	memset(x->buf, 0, n * sizeof(float));
	return x;
}
void x_free(struct x *x)
{
	free(x->buf);
	free(x);
}
static __attribute__((noinline)) void shape(struct x *x)
{
	for (unsigned i = 0; i < x->n; i++)
		x->buf[i] = sinf(x->buf[i]) + expf(-x->buf[i]);
}
static void twice(struct x *x) { x->buf[0] *= 2.0f; }
static void half(struct x *x) { x->buf[0] *= 0.5f; }
static void (*const ops[2])(struct x *) = { twice, half };
void x_process(struct x *x, const float *in, unsigned op)
{
	memcpy(x->buf, in, x->n * sizeof(float));
	shape(x);
	ops[op & 1](x);
}
EOF
	cat >"$d/bad_helper.c" <<'EOF'
#include <stdlib.h>
struct y { void *p; };
static __attribute__((noinline)) void drop(struct y *y) { free(y->p); y->p = 0; }
void y_process(struct y *y) { if (y->p) drop(y); }
EOF
	cat >"$d/bad_pointer.c" <<'EOF'
#include <stdlib.h>
struct z { void *p; };
static void fine(struct z *z) { z->p = z; }
static void grow(struct z *z) { z->p = malloc(16); }
static void (*const ops[2])(struct z *) = { fine, grow };
void z_process(struct z *z, unsigned i) { ops[i & 1](z); }
EOF
	cat >"$d/bad_ctl.c" <<'EOF'
#include <stdlib.h>
struct w { void *p; };
struct w *w_new(void) { return calloc(1, sizeof(struct w)); }
void w_free(struct w *w) { free(w); }
void w_process(struct w *w) { if (!w->p) w_free(w); }
EOF
	cat >"$d/bad_unknown.c" <<'EOF'
#include <stdlib.h>
static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
void u_process(int *v, size_t n) { qsort(v, n, sizeof(int), cmp); }
EOF
	cat >"$d/bad_printf.c" <<'EOF'
#include <stdio.h>
void v_process(float x) { if (x > 1.0f) fprintf(stderr, "clip %f\n", x); }
EOF
	ok=0
	for f in good bad_helper bad_pointer bad_ctl bad_unknown bad_printf; do
		# -O2 -fno-inline-small-functions keeps the helpers as functions, as
		# real code often has them (and -O3 would only make this easier)
		$cc -O2 -fno-inline-small-functions -c "$d/$f.c" -o "$d/$f.o" 2>"$d/$f.err" || {
			echo "$me: FAIL: self-test: cannot compile $f.c:"
			cat "$d/$f.err"
			return 1
		}
		rm -f "$d/lib$f.a"
		ar rc "$d/lib$f.a" "$d/$f.o"
	done
	check_one() { # archive expect(pass|fail) symbol-that-must-be-named
		res=$(check "$d/lib$1.a" 2>&1)
		rc=$?
		if [ "$2" = pass ] && [ $rc -ne 0 ]; then
			echo "$me: FAIL: self-test: the clean archive was rejected:"
			printf '%s\n' "$res" | sed 's/^/    /'
			ok=1
		elif [ "$2" = fail ] && { [ $rc -eq 0 ] || ! printf '%s\n' "$res" | grep -q "FAIL: $3 "; }; then
			echo "$me: FAIL: self-test: $1 should fail naming $3:"
			printf '%s\n' "$res" | sed 's/^/    /'
			ok=1
		fi
	}
	check_one good pass
	[ -n "${JMX_SELFTEST_VERBOSE:-}" ] && for f in good bad_helper bad_pointer bad_ctl bad_unknown bad_printf; do check "$d/lib$f.a"; done
	check_one bad_helper fail free
	check_one bad_pointer fail malloc
	check_one bad_ctl fail free
	check_one bad_unknown fail qsort
	check_one bad_printf fail fprintf
	# the clean archive: its control-only allocations are seen and allowed
	res=$(check "$d/libgood.a" 2>&1)
	printf '%s\n' "$res" | grep -q 'control-thread-only externals: .*posix_memalign' || {
		echo "$me: FAIL: self-test: x_new's posix_memalign not attributed to the control thread:"
		printf '%s\n' "$res" | sed 's/^/    /'
		ok=1
	}
	[ $ok -eq 0 ] && echo "$me: self-test passed (1 clean archive accepted, 5 bad ones rejected)"
	return $ok
}

command -v "$NM" >/dev/null 2>&1 || { echo "$me: SKIP: $NM not found"; exit 77; }
command -v "$OBJDUMP" >/dev/null 2>&1 || { echo "$me: SKIP: $OBJDUMP not found"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jmx-rtsym.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

do_self=1
case ${1:-} in
--self-test) shift ;;
--no-self-test) do_self=0; shift ;;
esac
lib=${1:-${top_builddir:-..}/src/libjmxdsp.a}
status=0
if [ $do_self -eq 1 ]; then
	self_test || status=1
fi
[ -f "$lib" ] || { echo "$me: FAIL: $lib not found (is the tree built?)"; exit 1; }
echo "$me: checking $lib"
check "$lib" || status=1
[ $status -eq 0 ] && echo "$me: PASS"
exit $status
