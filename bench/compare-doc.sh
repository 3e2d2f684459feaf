#!/usr/bin/env bash
# compare-doc.sh - wall-clock comparison of `policyctl extract` with antiword,
# catdoc, LibreOffice (headless batch) and Apache POI HWPF on the same .doc files.
#
# Usage: bench/compare-doc.sh [DIR|FILE ...]
#
#   With no argument the list is every *.doc under ../shared/fixtures/files and
#   ../shared/fixtures/files-mini97 (relative to the repo root) when ../shared
#   exists, otherwise every *.doc under pkg/msdoc/testdata/golden.
#   Arguments replace that list: each DIR is searched recursively for *.doc,
#   each FILE is taken as is.
#
# Environment:
#   BENCH_RUNS=3          timed runs per tool; the best (lowest) wall time is kept
#   BENCH_LO_RUNS=1       timed runs for LibreOffice (it is slow)
#   BENCH_TIMEOUT=600     seconds allowed for one run of one tool (all files)
#   BENCH_LO_TIMEOUT=600  the same for one LibreOffice run
#   BENCH_LO_CHUNK=200    files per soffice process (soffice drops files past
#                         ~247 arguments without an error, see run_libreoffice)
#   BENCH_KEEP=1          keep the temp dir (outputs, logs) and print its path
#
# Missing reference tools are installed with apt-get (apt-get update once);
# a tool that still cannot be had is reported as skipped.
#
# What is timed: the whole process(es) of each tool over the whole list, from
# fork to exit, each writing one .txt per input into a fresh temp dir:
#   policyctl   one `policyctl extract --out OUT FILE...` (xargs only if the
#               argument list would not fit; then it is noted)
#   antiword    one process per file: antiword -m UTF-8.txt -w 0 FILE > OUT/x.txt
#   catdoc      one process per file: catdoc -w -d utf-8 FILE > OUT/x.txt
#   LibreOffice `soffice --headless --convert-to txt:...` batch: one process
#               per BENCH_LO_CHUNK files (278 files -> 2 processes, run one
#               after the other), with a private profile created before timing
#   POI         one JVM (bench/PoiExtract.java, compiled before timing) that runs
#               new WordExtractor(in).getText() on every file
# Inputs are symlinked into one temp dir as NNNN_<name>.doc first, because the
# fixture folders reuse the same file names (files/ and files-mini97/ share
# every fileKey) and every tool names its output after the input's base name.
# A file counts as OK when the tool wrote a non-empty output for it (and, for
# the per-file tools, exited 0). "CJK" counts outputs that contain at least one
# CJK ideograph (U+4E00..U+9FFF), a cheap check that real text came out.
# MB = 10^6 bytes.
set -euo pipefail
export LC_ALL=C.UTF-8

RUNS=${BENCH_RUNS:-3}
LO_RUNS=${BENCH_LO_RUNS:-1}
TOOL_TIMEOUT=${BENCH_TIMEOUT:-600}
LO_TIMEOUT=${BENCH_LO_TIMEOUT:-600}
LO_CHUNK=${BENCH_LO_CHUNK:-200}
KEEP=${BENCH_KEEP:-0}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)

log() { printf '%s\n' "$*" >&2; }
die() { log "compare-doc: $*"; exit 1; }

for v in RUNS LO_RUNS TOOL_TIMEOUT LO_TIMEOUT LO_CHUNK; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done

# ---------------------------------------------------------------- temp + trap
TMP=$(mktemp -d "${TMPDIR:-/tmp}/compare-doc.XXXXXX")
LO_PROFILE=$TMP/lo-profile

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
CHILD=
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
		log "compare-doc: kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$TMP/in" "$TMP/out" "$TMP/log" "$TMP/bin" "$TMP/java"

# ------------------------------------------------------------- install tools
need=()
command -v antiword >/dev/null || need+=(antiword)
command -v catdoc >/dev/null || need+=(catdoc)
command -v soffice >/dev/null || need+=(libreoffice-writer-nogui)
{ command -v javac && command -v java; } >/dev/null || need+=(default-jdk-headless)
[[ -f /usr/share/java/poi.jar && -f /usr/share/java/poi-scratchpad.jar ]] || need+=(libapache-poi-java)
command -v timeout >/dev/null || die "timeout (coreutils) is missing"
command -v go >/dev/null || die "go is not on PATH"
if ((${#need[@]})); then
	log "compare-doc: installing ${need[*]}"
	SUDO=()
	[[ $(id -u) == 0 ]] || SUDO=(sudo -n)
	if "${SUDO[@]}" apt-get update -qq >"$TMP/log/apt.log" 2>&1 &&
		DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
			"${need[@]}" >>"$TMP/log/apt.log" 2>&1; then
		:
	else
		log "compare-doc: apt-get failed (tail of its log below); the missing tools are skipped"
		tail -n 5 "$TMP/log/apt.log" >&2 || true
	fi
fi

# ------------------------------------------------------------------ file list
dirs=()
if (($#)); then
	dirs=("$@")
elif [[ -d $REPO/../shared ]]; then
	SHARED=$(cd "$REPO/../shared" && pwd)
	for d in "$SHARED/fixtures/files" "$SHARED/fixtures/files-mini97"; do
		[[ -d $d ]] && dirs+=("$d")
	done
	((${#dirs[@]})) || die "$SHARED exists but has neither fixtures/files nor fixtures/files-mini97"
else
	dirs=("$REPO/pkg/msdoc/testdata/golden")
fi

SRC=()
for d in "${dirs[@]}"; do
	if [[ -d $d ]]; then
		while IFS= read -r -d '' f; do SRC+=("$f"); done \
			< <(find "$(cd "$d" && pwd)" -type f -iname '*.doc' -print0 | sort -z)
	elif [[ -f $d ]]; then
		SRC+=("$(cd "$(dirname "$d")" && pwd)/$(basename "$d")")
	else
		die "no such file or directory: $d"
	fi
done
NFILES=${#SRC[@]}
((NFILES)) || die "no *.doc found in: ${dirs[*]}"

# Stage as unique short names (see header) and write the list file.
STAGED=()
LIST=$TMP/list.txt
: >"$LIST"
TOTAL_BYTES=0
i=0
for f in "${SRC[@]}"; do
	i=$((i + 1))
	b=$(basename "$f")
	s=$(printf '%s/in/%04d_%s' "$TMP" "$i" "${b%.*}.doc")
	ln -s "$f" "$s"
	STAGED+=("$s")
	printf '%s\n' "$s" >>"$LIST"
	TOTAL_BYTES=$((TOTAL_BYTES + $(stat -L -c %s "$f")))
done
TOTAL_MB=$(awk -v b="$TOTAL_BYTES" 'BEGIN{printf "%.2f", b/1e6}')
log "compare-doc: $NFILES files, $TOTAL_MB MB, from: ${dirs[*]}"

# Would one command line hold every file? (Linux: ARG_MAX covers argv + envp.)
ARG_BYTES=$(( $(cat "$LIST" | wc -c) + 8 * NFILES ))
ENV_BYTES=$(env | wc -c)
ARG_ROOM=$(( $(getconf ARG_MAX) - ENV_BYTES - 8192 ))
USE_XARGS=0
((ARG_BYTES < ARG_ROOM)) || USE_XARGS=1

# ------------------------------------------------------------- build / setup
log "compare-doc: go build ./services/policyctl"
(cd "$REPO" && go build -o "$TMP/bin/policyctl" ./services/policyctl)
BIN=$TMP/bin/policyctl

declare -A AVAIL NOTE
AVAIL[policyctl]=1
command -v antiword >/dev/null && AVAIL[antiword]=1 || NOTE[antiword]="not installed"
command -v catdoc >/dev/null && AVAIL[catdoc]=1 || NOTE[catdoc]="not installed"

if command -v soffice >/dev/null; then
	# Create the private profile outside the timing (first start is slow).
	log "compare-doc: creating LibreOffice profile (untimed warm-up on one file)"
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

POI_CP=
if command -v javac >/dev/null && command -v java >/dev/null && [[ -f /usr/share/java/poi-scratchpad.jar ]]; then
	# poi 4.0.1 (Debian): poi + scratchpad (HWPF) + what poi.jar loads at run
	# time. Only jars that exist are added.
	cp_jars=()
	for j in poi poi-scratchpad commons-collections4 commons-math3 commons-codec commons-compress commons-logging; do
		[[ -f /usr/share/java/$j.jar ]] && cp_jars+=("/usr/share/java/$j.jar")
	done
	POI_CP=$(IFS=:; echo "${cp_jars[*]}")
	log "compare-doc: javac PoiExtract.java"
	if javac -nowarn -d "$TMP/java" -cp "$POI_CP" "$SCRIPT_DIR/PoiExtract.java" >"$TMP/log/javac.log" 2>&1; then
		POI_CP=$TMP/java:$POI_CP
		# Classpath check on one file, untimed.
		head -n 1 "$LIST" >"$TMP/one.txt"
		mkdir -p "$TMP/poi-warm"
		java -cp "$POI_CP" PoiExtract "$TMP/poi-warm" "$TMP/one.txt" >"$TMP/log/poi-warm.log" 2>&1 || true
		if grep -qE 'NoClassDefFound|ClassNotFound' "$TMP/log/poi-warm.log"; then
			NOTE[poi]="classpath: $(grep -m1 -oE '(NoClassDefFoundError|ClassNotFoundException)[: ]+[^ ]+' "$TMP/log/poi-warm.log")"
		elif grep -q '^PoiExtract: ok=' "$TMP/log/poi-warm.log"; then
			AVAIL[poi]=1
		else
			NOTE[poi]="JVM check failed: $(tail -n 1 "$TMP/log/poi-warm.log")"
		fi
	else
		NOTE[poi]="javac failed: $(head -n 1 "$TMP/log/javac.log")"
	fi
else
	NOTE[poi]="javac/java or POI jars missing"
fi

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

# One process per file, the way these tools are used from scripts. The loop
# runs in its own bash under timeout so a hung tool cannot stall the bench.
# shellcheck disable=SC2016
PERFILE_LOOP='out=$1 list=$2 err=$3; shift 3
while IFS= read -r f; do
	b=${f##*/}; b=${b%.*}
	"$@" "$f" >"$out/$b.txt" 2>>"$err" || { echo "exit $?: $f" >>"$err"; rm -f "$out/$b.txt"; }
done <"$list"'

run_antiword() {
	timeout -k 5 "$TOOL_TIMEOUT" bash -c "$PERFILE_LOOP" _ "$OUT" "$LIST" "$ERR" antiword -m UTF-8.txt -w 0
}
run_catdoc() {
	timeout -k 5 "$TOOL_TIMEOUT" bash -c "$PERFILE_LOOP" _ "$OUT" "$LIST" "$ERR" catdoc -w -d utf-8
}
# soffice silently ignores input files past roughly the 247th argument (LO
# 7.4 here converts exactly 245 of 278 and exits 0), so the list is fed in
# chunks of LO_CHUNK files, one soffice process per chunk, one after another.
run_libreoffice() {
	tr '\n' '\0' <"$LIST" | timeout -k 10 "$LO_TIMEOUT" xargs -0 -n "$LO_CHUNK" \
		soffice -env:UserInstallation="file://$LO_PROFILE" --headless --norestore --nolockcheck \
		--convert-to 'txt:Text (encoded):UTF8' --outdir "$OUT" >>"$ERR" 2>&1
}
run_poi() {
	timeout -k 5 "$TOOL_TIMEOUT" java -cp "$POI_CP" PoiExtract "$OUT" "$LIST" 2>>"$ERR"
}

declare -A WALL RC
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
	RC[$name]=$rc
}

# Warm the page cache so the first tool is not penalised.
cat "${STAGED[@]}" >/dev/null

TOOLS=(policyctl antiword catdoc libreoffice poi)
declare -A LABEL=(
	[policyctl]="policyctl extract (1 process)"
	[antiword]="antiword (1 process/file)"
	[catdoc]="catdoc (1 process/file)"
	[libreoffice]="LibreOffice soffice --convert-to txt ($(( (NFILES + LO_CHUNK - 1) / LO_CHUNK )) process(es) of <= $LO_CHUNK files)"
	[poi]="Apache POI HWPF WordExtractor (1 JVM)"
)
((USE_XARGS)) && LABEL[policyctl]="policyctl extract (via xargs)"

START=$EPOCHREALTIME
for t in "${TOOLS[@]}"; do
	if [[ ${AVAIL[$t]:-0} != 1 ]]; then
		log "compare-doc: skipping $t (${NOTE[$t]:-unavailable})"
		continue
	fi
	runs=$RUNS
	[[ $t == libreoffice ]] && runs=$LO_RUNS
	log "compare-doc: timing $t ($runs run(s))"
	bench "$t" "$runs"
done

# -------------------------------------------------------------------- report
declare -A OK FAIL CJK
for t in "${TOOLS[@]}"; do
	[[ ${AVAIL[$t]:-0} == 1 ]] || continue
	o=$TMP/out/$t
	OK[$t]=$(find "$o" -maxdepth 1 -type f -name '*.txt' -size +0c | wc -l)
	FAIL[$t]=$((NFILES - OK[$t]))
	CJK[$t]=$(cd "$o" && { grep -lP '[\x{4E00}-\x{9FFF}]' -- *.txt 2>/dev/null || true; } | wc -l)
done

fmt() { awk -v x="$1" 'BEGIN{printf "%.'"${2:-2}"'f", x}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b + 0 == 0) print "n/a"; else printf "%.'"${3:-1}"'f", a / b }'; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
mem=$(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"; }

echo "## .doc extraction: policyctl vs reference tools"
echo
echo "- Machine: $(nproc) CPU(s) ($cpu), $mem RAM, $(uname -sr)"
echo "- $(go version)"
echo "- antiword $(pkgver antiword), catdoc $(pkgver catdoc), LibreOffice $(pkgver libreoffice-writer-nogui)," \
	"POI $(pkgver libapache-poi-java), $(java -version 2>&1 | sed -n 1p)"
echo "- Input: $NFILES .doc files, $TOTAL_MB MB (MB = 10^6 bytes), from: ${dirs[*]}"
echo "- Wall clock per tool over the whole list, best of $RUNS run(s) (LibreOffice: $LO_RUNS); page cache warm."
((USE_XARGS)) && echo "- NOTE: argument list too long for one command line: policyctl ran through xargs (possibly several processes)."
echo
echo "| tool | files OK | failed | OK with CJK | wall s | files/s | MB/s | policyctl is |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
pw=${WALL[policyctl]}
for t in "${TOOLS[@]}"; do
	if [[ ${AVAIL[$t]:-0} != 1 ]]; then
		echo "| ${LABEL[$t]} | - | - | - | - | - | - | skipped: ${NOTE[$t]:-unavailable} |"
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
	echo "| ${LABEL[$t]} | ${OK[$t]} | ${FAIL[$t]} | ${CJK[$t]} | $(fmt "$w" 3) | $(div "$NFILES" "$w") | $(div "$TOTAL_MB" "$w" 2) | $rel |"
done
echo
echo "Timed section took $(fmt "$(awk -v a="$START" -v b="$EPOCHREALTIME" 'BEGIN{print b-a}')" 0) s (all runs)."

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
spot=
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
