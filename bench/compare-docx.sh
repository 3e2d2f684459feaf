#!/usr/bin/env bash
# compare-docx.sh - wall-clock comparison of `policyctl extract` with pandoc,
# docx2txt and LibreOffice (headless batch) on the same .docx files.
# Sibling of bench/compare-doc.sh (same options, output and conventions).
#
# Usage: bench/compare-docx.sh [DIR|FILE ...]
#
#   With no argument the list is every *.docx under ../shared/fixtures/files
#   (relative to the repo root) when ../shared exists, otherwise every *.docx
#   under pkg/docx/testdata/golden.
#   Arguments replace that list: each DIR is searched recursively for *.docx,
#   each FILE is taken as is.
#
# Environment:
#   BENCH_RUNS=3          timed runs per tool; the best (lowest) wall time is kept
#   BENCH_LO_RUNS=1       timed runs for LibreOffice (it is slow)
#   BENCH_TIMEOUT=600     seconds allowed for one run of one tool (all files)
#   BENCH_LO_TIMEOUT=600  the same for one LibreOffice run
#   BENCH_LO_CHUNK=200    files per soffice process (soffice drops files past
#                         ~247 arguments without an error, see compare-doc.sh)
#   BENCH_KEEP=1          keep the temp dir (outputs, logs) and print its path
#
# Missing reference tools are installed with apt-get (apt-get update once);
# a tool that still cannot be had is reported as skipped.
#
# What is timed: the whole process(es) of each tool over the whole list, from
# fork to exit, each writing one .txt per input into a fresh temp dir:
#   policyctl   one `policyctl extract --out OUT FILE...` (xargs only if the
#               argument list would not fit; then it is noted)
#   pandoc      one process per file:
#               pandoc -f docx -t plain --wrap=none FILE -o OUT/x.txt
#   docx2txt    one process per file (Debian's Perl script, which runs unzip):
#               docx2txt FILE OUT/x.txt
#   LibreOffice `soffice --headless --convert-to txt:...` batch: one process
#               per BENCH_LO_CHUNK files, run one after the other, with a
#               private profile created before timing
# Inputs are symlinked into one temp dir as NNNN_<name>.docx first, so that
# inputs from different folders with the same base name cannot clash (every
# tool names its output after the input's base name).
# A file counts as OK when the tool wrote a non-empty output for it (and, for
# the per-file tools, exited 0). "CJK" counts outputs that contain at least one
# CJK ideograph (U+4E00..U+9FFF), a cheap check that real text came out.
# "exact" (only when ../shared exists): inputs whose output, with all
# whitespace (Unicode, incl. U+00A0/U+3000) and any BOM removed, equals
# ../shared/fixtures/truth/<fileId>.txt with all whitespace removed; fileId is
# looked up by fileKey in ../shared/fixtures/api/catalogue.json. The share is
# over all inputs that have a truth file, so a missing output counts as wrong.
# It ignores layout (line breaks, table cell separators, indentation) but not
# characters: docx2txt, for one, rewrites quotes and dashes.
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
die() { log "compare-docx: $*"; exit 1; }

for v in RUNS LO_RUNS TOOL_TIMEOUT LO_TIMEOUT LO_CHUNK; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done

# ---------------------------------------------------------------- temp + trap
TMP=$(mktemp -d "${TMPDIR:-/tmp}/compare-docx.XXXXXX")
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
		log "compare-docx: kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$TMP/in" "$TMP/out" "$TMP/log" "$TMP/bin"

# ------------------------------------------------------------- install tools
need=()
command -v pandoc >/dev/null || need+=(pandoc)
{ command -v docx2txt && command -v unzip; } >/dev/null || need+=(docx2txt unzip)
command -v soffice >/dev/null || need+=(libreoffice-writer-nogui)
command -v timeout >/dev/null || die "timeout (coreutils) is missing"
command -v go >/dev/null || die "go is not on PATH"
if ((${#need[@]})); then
	log "compare-docx: installing ${need[*]}"
	SUDO=()
	[[ $(id -u) == 0 ]] || SUDO=(sudo -n)
	if "${SUDO[@]}" apt-get update -qq >"$TMP/log/apt.log" 2>&1 &&
		DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
			"${need[@]}" >>"$TMP/log/apt.log" 2>&1; then
		:
	else
		log "compare-docx: apt-get failed (tail of its log below); the missing tools are skipped"
		tail -n 5 "$TMP/log/apt.log" >&2 || true
	fi
fi

# ------------------------------------------------------------------ file list
SHARED=
[[ -d $REPO/../shared ]] && SHARED=$(cd "$REPO/../shared" && pwd)
dirs=()
if (($#)); then
	dirs=("$@")
elif [[ -n $SHARED ]]; then
	[[ -d $SHARED/fixtures/files ]] || die "$SHARED exists but has no fixtures/files"
	dirs=("$SHARED/fixtures/files")
else
	dirs=("$REPO/pkg/docx/testdata/golden")
fi

SRC=()
for d in "${dirs[@]}"; do
	if [[ -d $d ]]; then
		while IFS= read -r -d '' f; do SRC+=("$f"); done \
			< <(find "$(cd "$d" && pwd)" -type f -iname '*.docx' -print0 | sort -z)
	elif [[ -f $d ]]; then
		SRC+=("$(cd "$(dirname "$d")" && pwd)/$(basename "$d")")
	else
		die "no such file or directory: $d"
	fi
done
NFILES=${#SRC[@]}
((NFILES)) || die "no *.docx found in: ${dirs[*]}"

# Stage as unique short names (see header) and write the list file.
STAGED=()
LIST=$TMP/list.txt
: >"$LIST"
TOTAL_BYTES=0
i=0
for f in "${SRC[@]}"; do
	i=$((i + 1))
	b=$(basename "$f")
	s=$(printf '%s/in/%04d_%s' "$TMP" "$i" "${b%.*}.docx")
	ln -s "$f" "$s"
	STAGED+=("$s")
	printf '%s\n' "$s" >>"$LIST"
	TOTAL_BYTES=$((TOTAL_BYTES + $(stat -L -c %s "$f")))
done
TOTAL_MB=$(awk -v b="$TOTAL_BYTES" 'BEGIN{printf "%.2f", b/1e6}')
log "compare-docx: $NFILES files, $TOTAL_MB MB, from: ${dirs[*]}"

# Would one command line hold every file? (Linux: ARG_MAX covers argv + envp.)
ARG_BYTES=$(( $(cat "$LIST" | wc -c) + 8 * NFILES ))
ENV_BYTES=$(env | wc -c)
ARG_ROOM=$(( $(getconf ARG_MAX) - ENV_BYTES - 8192 ))
USE_XARGS=0
((ARG_BYTES < ARG_ROOM)) || USE_XARGS=1

# ------------------------------------------------------------- build / setup
log "compare-docx: go build ./services/policyctl"
(cd "$REPO" && go build -o "$TMP/bin/policyctl" ./services/policyctl)
BIN=$TMP/bin/policyctl

declare -A AVAIL NOTE
AVAIL[policyctl]=1
command -v pandoc >/dev/null && AVAIL[pandoc]=1 || NOTE[pandoc]="not installed"
if command -v docx2txt >/dev/null && command -v unzip >/dev/null; then
	AVAIL[docx2txt]=1
else
	NOTE[docx2txt]="not installed"
fi

if command -v soffice >/dev/null; then
	# Create the private profile outside the timing (first start is slow).
	log "compare-docx: creating LibreOffice profile (untimed warm-up on one file)"
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
# In the command, @IN@ stands for the input and @OUT@ for OUT/<base>.txt.
# shellcheck disable=SC2016
PERFILE_LOOP='out=$1 list=$2 err=$3; shift 3
while IFS= read -r f; do
	b=${f##*/}; o=$out/${b%.*}.txt
	cmd=()
	for a in "$@"; do a=${a//@IN@/"$f"}; cmd+=("${a//@OUT@/"$o"}"); done
	"${cmd[@]}" </dev/null >/dev/null 2>>"$err" || { echo "exit $?: $f" >>"$err"; rm -f "$o"; }
done <"$list"'

run_pandoc() {
	timeout -k 5 "$TOOL_TIMEOUT" bash -c "$PERFILE_LOOP" _ "$OUT" "$LIST" "$ERR" \
		pandoc -f docx -t plain --wrap=none @IN@ -o @OUT@
}
run_docx2txt() {
	timeout -k 5 "$TOOL_TIMEOUT" bash -c "$PERFILE_LOOP" _ "$OUT" "$LIST" "$ERR" \
		docx2txt @IN@ @OUT@
}
# soffice silently ignores input files past roughly the 247th argument, so
# the list is fed in chunks of LO_CHUNK files, one soffice per chunk.
run_libreoffice() {
	tr '\n' '\0' <"$LIST" | timeout -k 10 "$LO_TIMEOUT" xargs -0 -n "$LO_CHUNK" \
		soffice -env:UserInstallation="file://$LO_PROFILE" --headless --norestore --nolockcheck \
		--convert-to 'txt:Text (encoded):UTF8' --outdir "$OUT" >>"$ERR" 2>&1
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

TOOLS=(policyctl pandoc docx2txt libreoffice)
declare -A LABEL=(
	[policyctl]="policyctl extract (1 process)"
	[pandoc]="pandoc -t plain (1 process/file)"
	[docx2txt]="docx2txt (1 process/file)"
	[libreoffice]="LibreOffice soffice --convert-to txt ($(( (NFILES + LO_CHUNK - 1) / LO_CHUNK )) process(es) of <= $LO_CHUNK files)"
)
((USE_XARGS)) && LABEL[policyctl]="policyctl extract (via xargs)"

START=$EPOCHREALTIME
for t in "${TOOLS[@]}"; do
	if [[ ${AVAIL[$t]:-0} != 1 ]]; then
		log "compare-docx: skipping $t (${NOTE[$t]:-unavailable})"
		continue
	fi
	runs=$RUNS
	[[ $t == libreoffice ]] && runs=$LO_RUNS
	log "compare-docx: timing $t ($runs run(s))"
	bench "$t" "$runs"
done
TIMED=$(awk -v a="$START" -v b="$EPOCHREALTIME" 'BEGIN{print b-a}')

# -------------------------------------------------------------------- report
declare -A OK FAIL CJK ACC
ran=()
for t in "${TOOLS[@]}"; do
	[[ ${AVAIL[$t]:-0} == 1 ]] || continue
	ran+=("$t")
	o=$TMP/out/$t
	OK[$t]=$(find "$o" -maxdepth 1 -type f -name '*.txt' -size +0c | wc -l)
	FAIL[$t]=$((NFILES - OK[$t]))
	CJK[$t]=$(cd "$o" && { grep -lP '[\x{4E00}-\x{9FFF}]' -- *.txt 2>/dev/null || true; } | wc -l)
done

# Accuracy against the fixtures' truth (untimed). Prints "TOOL EXACT WITHTRUTH".
ACC_NOTE=
if [[ -n $SHARED && -f $SHARED/fixtures/api/catalogue.json ]] && command -v python3 >/dev/null; then
	paste -d '\t' <(printf '%s\n' "${STAGED[@]##*/}") <(printf '%s\n' "${SRC[@]}") >"$TMP/map.tsv"
	if python3 - "$SHARED/fixtures" "$TMP/map.tsv" "$TMP/out" "${ran[@]}" >"$TMP/acc.txt" 2>"$TMP/log/acc.err" <<-'PY'; then
		import json, os, sys
		fx, mapfile, outdir, tools = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
		cat = json.load(open(os.path.join(fx, "api", "catalogue.json"), encoding="utf-8"))
		key2id = {f["fileKey"]: f["fileId"] for r in cat["data"]["result"] for f in r.get("files") or []}
		filesdir = os.path.realpath(os.path.join(fx, "files"))
		def squash(path):
		    with open(path, "rb") as fh:
		        s = fh.read().decode("utf-8", "replace")
		    return "".join(s.replace("\ufeff", "").split())
		pairs = []  # (output base name, truth text without whitespace)
		for line in open(mapfile, encoding="utf-8"):
		    staged, src = line.rstrip("\n").split("\t", 1)
		    rel = os.path.relpath(os.path.realpath(src), filesdir)
		    fid = key2id.get(rel.replace(os.sep, "/"))
		    truth = fid and os.path.join(fx, "truth", fid + ".txt")
		    if truth and os.path.isfile(truth):
		        pairs.append((staged.rsplit(".", 1)[0] + ".txt", squash(truth)))
		for t in tools:
		    ok = sum(1 for out, want in pairs
		             if os.path.isfile(os.path.join(outdir, t, out)) and squash(os.path.join(outdir, t, out)) == want)
		    print(t, ok, len(pairs))
	PY
		while read -r t ok n; do
			if ((n > 0)); then
				ACC[$t]="$ok/$n ($(awk -v a="$ok" -v b="$n" 'BEGIN{printf "%.0f", 100 * a / b}')%)"
			fi
		done <"$TMP/acc.txt"
		read -r _ _ n_truth <"$TMP/acc.txt" || n_truth=0
		((n_truth > 0)) || ACC_NOTE="no input maps to a truth file"
	else
		ACC_NOTE="accuracy check failed: $(tail -n 1 "$TMP/log/acc.err")"
	fi
elif [[ -n $SHARED ]]; then
	ACC_NOTE="python3 or fixtures/api/catalogue.json missing"
else
	ACC_NOTE="../shared not found"
fi

fmt() { awk -v x="$1" 'BEGIN{printf "%.'"${2:-2}"'f", x}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b + 0 == 0) print "n/a"; else printf "%.'"${3:-1}"'f", a / b }'; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
mem=$(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)
pkgver() { local v; v=$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null) || true; echo "${v:-?}"; }

echo "## .docx extraction: policyctl vs reference tools"
echo
echo "- Machine: $(nproc) CPU(s) ($cpu), $mem RAM, $(uname -sr)"
echo "- $(go version)"
lover=$(pkgver libreoffice-writer-nogui)
[[ $lover == "?" ]] && lover=$(pkgver libreoffice-writer)
echo "- pandoc $(pkgver pandoc), docx2txt $(pkgver docx2txt), LibreOffice $lover"
echo "- Input: $NFILES .docx files, $TOTAL_MB MB (MB = 10^6 bytes), from: ${dirs[*]}"
echo "- Wall clock per tool over the whole list, best of $RUNS run(s) (LibreOffice: $LO_RUNS); page cache warm."
echo "- exact = output equals fixtures/truth/<fileId>.txt once all whitespace is removed (untimed)."
((USE_XARGS)) && echo "- NOTE: argument list too long for one command line: policyctl ran through xargs (possibly several processes)."
echo
echo "| tool | files OK | failed | OK with CJK | exact | wall s | files/s | MB/s | policyctl is |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
pw=${WALL[policyctl]}
for t in "${TOOLS[@]}"; do
	if [[ ${AVAIL[$t]:-0} != 1 ]]; then
		echo "| ${LABEL[$t]} | - | - | - | - | - | - | - | skipped: ${NOTE[$t]:-unavailable} |"
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
	echo "| ${LABEL[$t]} | ${OK[$t]} | ${FAIL[$t]} | ${CJK[$t]} | ${ACC[$t]:-n/a} | $(fmt "$w" 3) | $(div "$NFILES" "$w") | $(div "$TOTAL_MB" "$w" 2) | $rel |"
done
echo
[[ -n $ACC_NOTE ]] && echo "exact: n/a ($ACC_NOTE)." && echo
if [[ ${AVAIL[pandoc]:-0} == 1 ]]; then
	ratio=$(div "${WALL[pandoc]}" "$pw")
	verdict=$(awk -v r="$ratio" 'BEGIN{ print (r != "n/a" && r + 0 >= 10) ? "met" : "NOT met" }')
	echo "Target policyctl >= 10x pandoc: $verdict (${ratio}x)."
	echo
fi
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
