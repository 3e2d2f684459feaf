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

ME=compare-doc
EXT=doc
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$SCRIPT_DIR/lib.sh"

bench_init
mkdir -p "$TMP/java"

command -v antiword >/dev/null || need+=(antiword)
command -v catdoc >/dev/null || need+=(catdoc)
{ command -v javac && command -v java; } >/dev/null || need+=(default-jdk-headless)
[[ -f /usr/share/java/poi.jar && -f /usr/share/java/poi-scratchpad.jar ]] || need+=(libapache-poi-java)
install_missing

# Default list: files/ and files-mini97/ of ../shared/fixtures, else the goldens.
default_dirs() {
	local d
	if [[ -n $SHARED ]]; then
		for d in "$SHARED/fixtures/files" "$SHARED/fixtures/files-mini97"; do
			[[ -d $d ]] && dirs+=("$d")
		done
		((${#dirs[@]})) || die "$SHARED exists but has neither fixtures/files nor fixtures/files-mini97"
	else
		dirs=("$REPO/pkg/msdoc/testdata/golden")
	fi
}
stage_inputs "$@"

build_policyctl
command -v antiword >/dev/null && AVAIL[antiword]=1 || NOTE[antiword]="not installed"
command -v catdoc >/dev/null && AVAIL[catdoc]=1 || NOTE[catdoc]="not installed"
setup_libreoffice

POI_CP=
if command -v javac >/dev/null && command -v java >/dev/null && [[ -f /usr/share/java/poi-scratchpad.jar ]]; then
	# poi 4.0.1 (Debian): poi + scratchpad (HWPF) + what poi.jar loads at run
	# time. Only jars that exist are added.
	cp_jars=()
	for j in poi poi-scratchpad commons-collections4 commons-math3 commons-codec commons-compress commons-logging; do
		[[ -f /usr/share/java/$j.jar ]] && cp_jars+=("/usr/share/java/$j.jar")
	done
	POI_CP=$(IFS=:; echo "${cp_jars[*]}")
	log "$ME: javac PoiExtract.java"
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
# run_policyctl and run_libreoffice are in lib.sh; run_perfile appends the
# input and sends stdout to OUT/<base>.txt.
run_antiword() { run_perfile antiword -m UTF-8.txt -w 0; }
run_catdoc() { run_perfile catdoc -w -d utf-8; }
run_poi() {
	timeout -k 5 "$TOOL_TIMEOUT" java -cp "$POI_CP" PoiExtract "$OUT" "$LIST" 2>>"$ERR"
}

TOOLS=(policyctl antiword catdoc libreoffice poi)
LABEL[antiword]="antiword (1 process/file)"
LABEL[catdoc]="catdoc (1 process/file)"
LABEL[poi]="Apache POI HWPF WordExtractor (1 JVM)"
time_tools

# -------------------------------------------------------------------- report
count_outputs
print_intro "antiword $(pkgver antiword), catdoc $(pkgver catdoc), LibreOffice $(pkgver libreoffice-writer-nogui), POI $(pkgver libapache-poi-java), $(java -version 2>&1 | sed -n 1p)"
# shellcheck disable=SC2119 # no extra column
print_table
print_footer
