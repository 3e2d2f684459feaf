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

ME=compare-docx
EXT=docx
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$SCRIPT_DIR/lib.sh"

bench_init

command -v pandoc >/dev/null || need+=(pandoc)
{ command -v docx2txt && command -v unzip; } >/dev/null || need+=(docx2txt unzip)
install_missing

# Default list: ../shared/fixtures/files, else the goldens.
default_dirs() {
	if [[ -n $SHARED ]]; then
		[[ -d $SHARED/fixtures/files ]] || die "$SHARED exists but has no fixtures/files"
		dirs=("$SHARED/fixtures/files")
	else
		dirs=("$REPO/pkg/docx/testdata/golden")
	fi
}
stage_inputs "$@"

build_policyctl
command -v pandoc >/dev/null && AVAIL[pandoc]=1 || NOTE[pandoc]="not installed"
if command -v docx2txt >/dev/null && command -v unzip >/dev/null; then
	AVAIL[docx2txt]=1
else
	NOTE[docx2txt]="not installed"
fi
setup_libreoffice

# ------------------------------------------------------------------- runners
# run_policyctl and run_libreoffice are in lib.sh; for run_perfile, @IN@
# stands for the input and @OUT@ for OUT/<base>.txt.
run_pandoc() { run_perfile pandoc -f docx -t plain --wrap=none @IN@ -o @OUT@; }
run_docx2txt() { run_perfile docx2txt @IN@ @OUT@; }

TOOLS=(policyctl pandoc docx2txt libreoffice)
LABEL[pandoc]="pandoc -t plain (1 process/file)"
LABEL[docx2txt]="docx2txt (1 process/file)"
time_tools

# -------------------------------------------------------------------- report
count_outputs

# Accuracy against the fixtures' truth (untimed). Prints "TOOL EXACT WITHTRUTH".
declare -A ACC
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
				# shellcheck disable=SC2034 # read through print_table exact=ACC
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

lover=$(pkgver libreoffice-writer-nogui)
[[ $lover == "?" ]] && lover=$(pkgver libreoffice-writer)
print_intro "pandoc $(pkgver pandoc), docx2txt $(pkgver docx2txt), LibreOffice $lover" \
	"exact = output equals fixtures/truth/<fileId>.txt once all whitespace is removed (untimed)."
print_table exact=ACC
[[ -n $ACC_NOTE ]] && echo "exact: n/a ($ACC_NOTE)." && echo
if [[ ${AVAIL[pandoc]:-0} == 1 ]]; then
	ratio=$(div "${WALL[pandoc]}" "${WALL[policyctl]}")
	verdict=$(awk -v r="$ratio" 'BEGIN{ print (r != "n/a" && r + 0 >= 10) ? "met" : "NOT met" }')
	echo "Target policyctl >= 10x pandoc: $verdict (${ratio}x)."
	echo
fi
print_footer
