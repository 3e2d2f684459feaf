# shellcheck shell=bash
# lib.sh - code shared by bench/compare-doc.sh and bench/compare-docx.sh.
# Sourced, not run. See either script's header for the options (BENCH_*
# environment variables), what is timed and how the table is read.
#
# The sourcing script sets ME (log prefix and temp dir name, e.g. compare-doc)
# and EXT (input extension without the dot, e.g. doc) and then calls, in order:
#
#   bench_init                 options, temp dir, cleanup trap
#   need+=(PKG...)             for its own tools, then
#   install_missing            apt-get install "${need[@]}" (+ LibreOffice)
#   stage_inputs "$@"          file list (default_dirs() when no argument),
#                              staged as $TMP/in/NNNN_<name>.$EXT
#   build_policyctl            AVAIL[policyctl]; then AVAIL/NOTE for its tools
#   setup_libreoffice          private profile, AVAIL/NOTE[libreoffice]
#   run_TOOL() { ... }         one runner per tool (run_perfile helps), with
#   TOOLS=(...) LABEL[TOOL]=   the tool order and the table labels, then
#   time_tools                 best-of-N wall times in WALL[TOOL]
#   count_outputs              OK/FAIL/CJK[TOOL] and ran=(tools that ran)
#   print_intro VERSIONS [LINE...]   title and "- " fact lines
#   print_table [HEADER=ARRAY...]    the table; extra columns after "OK with
#                                    CJK" show ${ARRAY[TOOL]:-n/a}
#   print_footer               timed total, failures, spot check
#
# The script must define default_dirs(), which fills dirs=() when no argument
# is given (SHARED is the absolute ../shared when it exists, else empty).

log() { printf '%s\n' "$*" >&2; }
die() { log "$ME: $*"; exit 1; }

declare -A AVAIL NOTE WALL LABEL OK FAIL CJK
need=()
dirs=()
ran=()
CHILD=

# ---------------------------------------------------------------- temp + trap
bench_init() {
	RUNS=${BENCH_RUNS:-3}
	LO_RUNS=${BENCH_LO_RUNS:-1}
	TOOL_TIMEOUT=${BENCH_TIMEOUT:-600}
	LO_TIMEOUT=${BENCH_LO_TIMEOUT:-600}
	LO_CHUNK=${BENCH_LO_CHUNK:-200}
	KEEP=${BENCH_KEEP:-0}

	REPO=$(cd "$SCRIPT_DIR/.." && pwd)

	local v
	for v in RUNS LO_RUNS TOOL_TIMEOUT LO_TIMEOUT LO_CHUNK; do
		[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
	done

	TMP=$(mktemp -d "${TMPDIR:-/tmp}/$ME.XXXXXX")
	LO_PROFILE=$TMP/lo-profile
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir -p "$TMP/in" "$TMP/out" "$TMP/log" "$TMP/bin"
}

lo_cleanup() {
	# soffice.bin can outlive the soffice wrapper; end the ones that use our
	# private profile (a path unique to this run), by pid.
	local pids
	pids=$(pgrep -f -- "$LO_PROFILE" 2>/dev/null || true)
	if [[ -n $pids ]]; then
		# shellcheck disable=SC2086
		kill $pids 2>/dev/null || true
		sleep 1
		# shellcheck disable=SC2086
		kill -9 $pids 2>/dev/null || true
	fi
}
# The tool being timed runs as a background job ($CHILD) that the script
# waits for, so INT/TERM reach the trap at once; timeout(1) is the job's child
# and passes the signal on to its whole process group.
stop_child() {
	[[ -n $CHILD ]] || return 0
	local kids
	kids=$(pgrep -P "$CHILD" 2>/dev/null || true)
	# shellcheck disable=SC2086
	kill -TERM $kids "$CHILD" 2>/dev/null || true
	wait "$CHILD" 2>/dev/null || true
	CHILD=
}
cleanup() {
	local rc=$?
	trap - INT TERM
	stop_child
	lo_cleanup
	if [[ $KEEP == 1 ]]; then
		log "$ME: kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}

# ------------------------------------------------------------- install tools
# install_missing: apt-get install the packages in need=() plus LibreOffice
# if soffice is missing; failures are only reported (the tools are skipped).
install_missing() {
	command -v soffice >/dev/null || need+=(libreoffice-writer-nogui)
	command -v timeout >/dev/null || die "timeout (coreutils) is missing"
	command -v go >/dev/null || die "go is not on PATH"
	((${#need[@]})) || return 0
	log "$ME: installing ${need[*]}"
	local sudo=()
	[[ $(id -u) == 0 ]] || sudo=(sudo -n)
	if "${sudo[@]}" apt-get update -qq >"$TMP/log/apt.log" 2>&1 &&
		DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
			"${need[@]}" >>"$TMP/log/apt.log" 2>&1; then
		:
	else
		log "$ME: apt-get failed (tail of its log below); the missing tools are skipped"
		tail -n 5 "$TMP/log/apt.log" >&2 || true
	fi
}

# ------------------------------------------------------------------ file list
# stage_inputs [DIR|FILE ...]: sets dirs, SRC (absolute inputs), NFILES,
# STAGED (symlinks $TMP/in/NNNN_<name>.$EXT), LIST (STAGED, one a line),
# TOTAL_BYTES, TOTAL_MB and USE_XARGS.
stage_inputs() {
	SHARED=
	# shellcheck disable=SC2034 # SHARED is for the script's default_dirs
	[[ -d $REPO/../shared ]] && SHARED=$(cd "$REPO/../shared" && pwd)
	dirs=()
	if (($#)); then
		dirs=("$@")
	else
		default_dirs
	fi

	SRC=()
	local d f
	for d in "${dirs[@]}"; do
		if [[ -d $d ]]; then
			while IFS= read -r -d '' f; do SRC+=("$f"); done \
				< <(find "$(cd "$d" && pwd)" -type f -iname "*.$EXT" -print0 | sort -z)
		elif [[ -f $d ]]; then
			SRC+=("$(cd "$(dirname "$d")" && pwd)/$(basename "$d")")
		else
			die "no such file or directory: $d"
		fi
	done
	NFILES=${#SRC[@]}
	((NFILES)) || die "no *.$EXT found in: ${dirs[*]}"

	# Stage as unique short names (see the script's header) and write the
	# list file.
	STAGED=()
	LIST=$TMP/list.txt
	: >"$LIST"
	TOTAL_BYTES=0
	local i=0 b s
	for f in "${SRC[@]}"; do
		i=$((i + 1))
		b=$(basename "$f")
		s=$(printf '%s/in/%04d_%s' "$TMP" "$i" "${b%.*}.$EXT")
		ln -s "$f" "$s"
		STAGED+=("$s")
		printf '%s\n' "$s" >>"$LIST"
		TOTAL_BYTES=$((TOTAL_BYTES + $(stat -L -c %s "$f")))
	done
	TOTAL_MB=$(awk -v b="$TOTAL_BYTES" 'BEGIN{printf "%.2f", b/1e6}')
	log "$ME: $NFILES files, $TOTAL_MB MB, from: ${dirs[*]}"

	# Would one command line hold every file? (Linux: ARG_MAX covers argv + envp.)
	local arg_bytes env_bytes arg_room
	arg_bytes=$(($(wc -c <"$LIST") + 8 * NFILES))
	env_bytes=$(env | wc -c)
	arg_room=$(($(getconf ARG_MAX) - env_bytes - 8192))
	USE_XARGS=0
	((arg_bytes < arg_room)) || USE_XARGS=1
}

# ------------------------------------------------------------- build / setup
build_policyctl() {
	log "$ME: go build ./services/policyctl"
	(cd "$REPO" && go build -o "$TMP/bin/policyctl" ./services/policyctl)
	BIN=$TMP/bin/policyctl
	AVAIL[policyctl]=1
}

setup_libreoffice() {
	if command -v soffice >/dev/null; then
		# Create the private profile outside the timing (first start is slow).
		log "$ME: creating LibreOffice profile (untimed warm-up on one file)"
		mkdir -p "$TMP/lo-warm"
		if timeout -k 10 "$LO_TIMEOUT" soffice -env:UserInstallation="file://$LO_PROFILE" --headless \
			--norestore --nolockcheck --convert-to 'txt:Text (encoded):UTF8' --outdir "$TMP/lo-warm" \
			"${STAGED[0]}" >"$TMP/log/lo-warm.log" 2>&1; then
			AVAIL[libreoffice]=1
		else
			NOTE[libreoffice]="warm-up failed: $(tail -n 1 "$TMP/log/lo-warm.log")"
		fi
		lo_cleanup
	else
		NOTE[libreoffice]="not installed"
	fi
}

# ------------------------------------------------------------------- runners
# Each runner writes into $OUT and appends stderr to $ERR; its exit status is
# only logged (failures are counted from the outputs afterwards).

run_policyctl() {
	if ((USE_XARGS)); then
		tr '\n' '\0' <"$LIST" | timeout -k 5 "$TOOL_TIMEOUT" xargs -0 "$BIN" extract --out "$OUT" 2>>"$ERR"
	else
		timeout -k 5 "$TOOL_TIMEOUT" "$BIN" extract --out "$OUT" "${STAGED[@]}" 2>>"$ERR"
	fi
}

# soffice silently ignores input files past roughly the 247th argument (LO
# 7.4 here converts exactly 245 of 278 .doc files and exits 0), so the list is
# fed in chunks of LO_CHUNK files, one soffice process per chunk, one after
# another.
run_libreoffice() {
	tr '\n' '\0' <"$LIST" | timeout -k 10 "$LO_TIMEOUT" xargs -0 -n "$LO_CHUNK" \
		soffice -env:UserInstallation="file://$LO_PROFILE" --headless --norestore --nolockcheck \
		--convert-to 'txt:Text (encoded):UTF8' --outdir "$OUT" >>"$ERR" 2>&1
}

# One process per file, the way these tools are used from scripts. The loop
# runs in its own bash under timeout so a hung tool cannot stall the bench.
# run_perfile CMD [ARG...]: if an argument contains @IN@, @IN@ stands for the
# input and @OUT@ for OUT/<base>.txt (stdin and stdout are /dev/null);
# otherwise the input is appended as the last argument and stdout is the
# output file.
# shellcheck disable=SC2016
PERFILE_STDOUT_LOOP='out=$1 list=$2 err=$3; shift 3
while IFS= read -r f; do
	b=${f##*/}; b=${b%.*}
	"$@" "$f" >"$out/$b.txt" 2>>"$err" || { echo "exit $?: $f" >>"$err"; rm -f "$out/$b.txt"; }
done <"$list"'
# shellcheck disable=SC2016
PERFILE_ARGS_LOOP='out=$1 list=$2 err=$3; shift 3
while IFS= read -r f; do
	b=${f##*/}; o=$out/${b%.*}.txt
	cmd=()
	for a in "$@"; do a=${a//@IN@/"$f"}; cmd+=("${a//@OUT@/"$o"}"); done
	"${cmd[@]}" </dev/null >/dev/null 2>>"$err" || { echo "exit $?: $f" >>"$err"; rm -f "$o"; }
done <"$list"'

run_perfile() {
	local loop=$PERFILE_STDOUT_LOOP a
	for a in "$@"; do
		[[ $a == *@IN@* ]] && loop=$PERFILE_ARGS_LOOP
	done
	timeout -k 5 "$TOOL_TIMEOUT" bash -c "$loop" _ "$OUT" "$LIST" "$ERR" "$@"
}

# ---------------------------------------------------------------------- timing
# bench NAME RUNS: best-of-RUNS wall seconds of run_NAME, each run into a fresh $OUT.
bench() {
	local name=$1 runs=$2 r t0 t1 dt rc best=
	for ((r = 1; r <= runs; r++)); do
		OUT=$TMP/out/$name
		ERR=$TMP/log/$name.err
		rm -rf "$OUT"
		mkdir -p "$OUT"
		: >"$ERR"
		t0=$EPOCHREALTIME
		"run_$name" &
		CHILD=$!
		if wait "$CHILD"; then rc=0; else rc=$?; fi
		t1=$EPOCHREALTIME
		CHILD=
		[[ $name == libreoffice ]] && lo_cleanup
		dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
		log "  $name run $r/$runs: ${dt}s (exit $rc)"
		((rc == 124 || rc == 137)) && NOTE[$name]="timed out (exit $rc)"
		best=$(awk -v b="$best" -v d="$dt" 'BEGIN{ if (b == "" || d + 0 < b + 0) print d; else print b }')
	done
	WALL[$name]=$best
}

# time_tools: bench every available tool of TOOLS, in order; sets TIMED.
time_tools() {
	LABEL[policyctl]="policyctl extract (1 process)"
	((USE_XARGS)) && LABEL[policyctl]="policyctl extract (via xargs)"
	LABEL[libreoffice]="LibreOffice soffice --convert-to txt ($(((NFILES + LO_CHUNK - 1) / LO_CHUNK)) process(es) of <= $LO_CHUNK files)"

	# Warm the page cache so the first tool is not penalised.
	cat "${STAGED[@]}" >/dev/null

	local start t runs
	start=$EPOCHREALTIME
	for t in "${TOOLS[@]}"; do
		if [[ ${AVAIL[$t]:-0} != 1 ]]; then
			log "$ME: skipping $t (${NOTE[$t]:-unavailable})"
			continue
		fi
		runs=$RUNS
		[[ $t == libreoffice ]] && runs=$LO_RUNS
		log "$ME: timing $t ($runs run(s))"
		bench "$t" "$runs"
	done
	TIMED=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{print b-a}')
}

# -------------------------------------------------------------------- report
count_outputs() {
	local t o
	ran=()
	for t in "${TOOLS[@]}"; do
		[[ ${AVAIL[$t]:-0} == 1 ]] || continue
		ran+=("$t")
		o=$TMP/out/$t
		OK[$t]=$(find "$o" -maxdepth 1 -type f -name '*.txt' -size +0c | wc -l)
		FAIL[$t]=$((NFILES - OK[$t]))
		CJK[$t]=$(cd "$o" && { grep -lP '[\x{4E00}-\x{9FFF}]' -- *.txt 2>/dev/null || true; } | wc -l)
	done
}

fmt() { awk -v x="$1" 'BEGIN{printf "%.'"${2:-2}"'f", x}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b + 0 == 0) print "n/a"; else printf "%.'"${3:-1}"'f", a / b }'; }
pkgver() { local v; v=$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null) || true; echo "${v:-?}"; }

# print_intro VERSIONS [LINE...]: title, machine facts, then VERSIONS (the
# reference tools' versions), the input and timing lines, each LINE and the
# xargs note, each as a "- " item.
print_intro() {
	local cpu mem versions=$1 line
	shift
	cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
	mem=$(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)
	echo "## .$EXT extraction: policyctl vs reference tools"
	echo
	echo "- Machine: $(nproc) CPU(s) ($cpu), $mem RAM, $(uname -sr)"
	echo "- $(go version)"
	echo "- $versions"
	echo "- Input: $NFILES .$EXT files, $TOTAL_MB MB (MB = 10^6 bytes), from: ${dirs[*]}"
	echo "- Wall clock per tool over the whole list, best of $RUNS run(s) (LibreOffice: $LO_RUNS); page cache warm."
	for line in "$@"; do
		echo "- $line"
	done
	if ((USE_XARGS)); then
		echo "- NOTE: argument list too long for one command line: policyctl ran through xargs (possibly several processes)."
	fi
	echo
}

# print_table [HEADER=ARRAY ...]: one row per tool of TOOLS; each HEADER=ARRAY
# adds a column after "OK with CJK" that shows ${ARRAY[TOOL]:-n/a}. Ends with
# an empty line.
print_table() {
	local heads="" seps="" dashes="" spec t w rel cells
	for spec in "$@"; do
		heads+=" ${spec%%=*} |"
		seps+="---:|"
		dashes+=" - |"
	done
	echo "| tool | files OK | failed | OK with CJK |$heads wall s | files/s | MB/s | policyctl is |"
	echo "|---|---:|---:|---:|$seps---:|---:|---:|---:|"
	local pw=${WALL[policyctl]}
	for t in "${TOOLS[@]}"; do
		if [[ ${AVAIL[$t]:-0} != 1 ]]; then
			echo "| ${LABEL[$t]} | - | - | - |$dashes - | - | - | skipped: ${NOTE[$t]:-unavailable} |"
			continue
		fi
		w=${WALL[$t]}
		if [[ $t == policyctl ]]; then
			rel="baseline"
		elif awk -v a="$w" -v b="$pw" 'BEGIN{exit !(a + 0 >= b + 0)}'; then
			rel="$(div "$w" "$pw")x faster"
		else
			rel="$(div "$pw" "$w")x slower"
		fi
		[[ -n ${NOTE[$t]:-} ]] && rel="$rel (${NOTE[$t]})"
		cells=
		for spec in "$@"; do
			local -n col=${spec#*=}
			cells+=" ${col[$t]:-n/a} |"
			unset -n col
		done
		echo "| ${LABEL[$t]} | ${OK[$t]} | ${FAIL[$t]} | ${CJK[$t]} |$cells $(fmt "$w" 3) | $(div "$NFILES" "$w") | $(div "$TOTAL_MB" "$w" 2) | $rel |"
	done
	echo
}

# print_footer: timed total, first failures per tool, CJK spot check.
print_footer() {
	local t k s b spot="" f n line
	echo "Timed section took $(fmt "$TIMED" 0) s (all runs)."

	# Failures: first messages per tool.
	for t in "${TOOLS[@]}"; do
		[[ ${AVAIL[$t]:-0} == 1 && ${FAIL[$t]} -gt 0 ]] || continue
		echo
		echo "$t: ${FAIL[$t]} file(s) without output, e.g.:"
		echo '```'
		k=0
		for s in "${STAGED[@]}"; do
			b=${s##*/}
			[[ -s $TMP/out/$t/${b%.*}.txt ]] && continue
			echo "${SRC[$((10#${b%%_*} - 1))]}"
			k=$((k + 1))
			((k < 3)) || break
		done
		echo "-- first stderr lines:"
		{ grep -v -e '^convert ' -e 'javaldx' "$TMP/log/$t.err" || true; } | sed -n 1,3p
		echo '```'
	done

	# Spot check: one file whose policyctl output has CJK, first CJK line per tool.
	if [[ ${CJK[policyctl]:-0} -gt 0 ]]; then
		for f in "$TMP"/out/policyctl/*.txt; do
			if grep -qP '[\x{4E00}-\x{9FFF}]' "$f"; then spot=${f##*/}; break; fi
		done
	fi
	if [[ -n $spot ]]; then
		n=${spot%%_*}
		echo
		echo "Spot check: ${SRC[$((10#$n - 1))]} (first line with CJK, up to 40 chars):"
		echo
		for t in "${TOOLS[@]}"; do
			[[ ${AVAIL[$t]:-0} == 1 ]] || continue
			f=$TMP/out/$t/$spot
			line=
			[[ -f $f ]] && line=$(grep -m1 -P '[\x{4E00}-\x{9FFF}]' "$f" | tr -d '\r\t' | sed 's/^\xEF\xBB\xBF//; s/^ *//' || true)
			printf -- '- %s: %s\n' "$t" "${line:0:40}${line:+ }$([[ -f $f ]] && echo "($(wc -c <"$f") bytes)" || echo "(no output)")"
		done
	fi
}
