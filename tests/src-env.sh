# src-env.sh - sourced by the scripts that compile the daemon's sources
# themselves (the fuzz targets, tsan.sh, rtsan.sh): where src/'s folders
# are, so they name a module by its base name as the sources do.
#   jmx_src_inc        the -I options for every folder of src/
#   jmx_src_file NAME  prints src/<folder>/NAME.c (fails if there is none)
jmx_src_root=${top_srcdir:-..}/src
jmx_src_inc=""
for _d in params dsp rt jack control surfaces disk web; do
	jmx_src_inc="$jmx_src_inc -I$jmx_src_root/$_d"
done
jmx_src_file() {
	for _f in "$jmx_src_root"/*/"$1".c; do
		[ -f "$_f" ] && { printf '%s\n' "$_f"; return 0; }
	done
	echo "src-env.sh: no module $1.c under $jmx_src_root" >&2
	return 1
}
# The modules of the RT library (libjmxdsp_a_SOURCES in src/Makefile.am):
# scripts that build it themselves take the list from there, so a new
# DSP file needs no second list.
jmx_rt_modules() {
	sed -n '/^libjmxdsp_a_SOURCES/,/^$/p' "$jmx_src_root/Makefile.am" | grep -o '[a-z_0-9/]*\.c' |
		sed 's|.*/||; s/\.c$//'
}
