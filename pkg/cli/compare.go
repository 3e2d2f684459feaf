package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/policytext/policytext/pkg/extract"
	"github.com/policytext/policytext/pkg/htmltext"
	"github.com/policytext/policytext/pkg/reconcile"
	"github.com/policytext/policytext/pkg/sniff"
	"github.com/policytext/policytext/pkg/text"
)

func runCompare(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	htmlFile := fs.String("html", "", "the web text: an HTML file, or a policy JSON (a policy object or an API page) whose policyText is read")
	textFile := fs.String("text", "", "the attachment: its extracted text, or the Word/RTF file itself")
	id := fs.String("id", "", "with an API page holding several policies: the policy id to compare")
	asJSON := fs.Bool("json", false, "print the JSON report instead of a summary")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *htmlFile == "" || *textFile == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "policyctl compare: --html FILE and --text FILE are required")
		return 2
	}
	web, err := readWeb(*htmlFile, *id)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", *htmlFile, err)
		return 1
	}
	att, err := readAttachment(*textFile)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", *textFile, err)
		return 1
	}
	rep := reconcile.Compare(att, web, reconcile.Options{})
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "policyctl compare: %v\n", err)
			return 1
		}
		return 0
	}
	writeSummary(stdout, rep, []rune(att), []rune(web))
	return 0
}

// readWeb returns the web text as plain text (paragraphs as lines).
func readWeb(name, id string) (string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return "", errors.Unwrap(err)
	}
	html := string(b)
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		if html, err = policyText(t, id); err != nil {
			return "", err
		}
	}
	return strings.Join(htmltext.Paragraphs(html), "\n"), nil
}

type policyJSON struct {
	ID         string `json:"id"`
	PolicyText string `json:"policyText"`
}

// policyText finds the policyText in a policy object or an API page.
func policyText(b []byte, id string) (string, error) {
	var one policyJSON
	if err := json.Unmarshal(b, &one); err != nil {
		return "", fmt.Errorf("not valid JSON: %w", err)
	}
	if one.PolicyText != "" {
		return one.PolicyText, nil
	}
	var page struct {
		Data struct {
			Result []policyJSON `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &page); err != nil || len(page.Data.Result) == 0 {
		return "", errors.New("JSON has no policyText and no data.result")
	}
	if id == "" && len(page.Data.Result) == 1 {
		return page.Data.Result[0].PolicyText, nil
	}
	for _, p := range page.Data.Result {
		if p.ID == id {
			return p.PolicyText, nil
		}
	}
	if id == "" {
		return "", fmt.Errorf("the page holds %d policies: choose one with --id", len(page.Data.Result))
	}
	return "", fmt.Errorf("no policy with id %s", id)
}

// readAttachment returns the attachment's main text: a text file as it
// is, a Word or RTF file extracted.
func readAttachment(name string) (string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return "", errors.Unwrap(err)
	}
	switch sniff.Detect(b) {
	case sniff.OLE, sniff.Zip, sniff.RTF, sniff.WordXML, sniff.Word2:
		res, err := extract.Bytes(context.Background(), b, extract.Options{})
		if err != nil {
			return "", err
		}
		return res.Doc.PlainText(text.RenderOptions{}), nil
	}
	return string(b), nil
}

func writeSummary(w io.Writer, rep reconcile.Report, att, web []rune) {
	fmt.Fprintf(w, "verdict: %s", rep.Verdict)
	if rep.TruncatedSide != "" {
		fmt.Fprintf(w, " (the %s text stops early)", rep.TruncatedSide)
	}
	if rep.Approximate {
		fmt.Fprint(w, " [approximate: a block hit the diff time limit]")
	}
	s := rep.Similarity
	fmt.Fprintf(w, "\nsimilarity: coverage %.2f%%, precision %.2f%%, paragraphs %.2f%%\n", 100*s.Coverage, 100*s.Precision, 100*s.ParagraphCoverage)
	numeric := 0
	for _, d := range rep.Differences {
		if len(d.Tags) > 0 {
			numeric++
		}
	}
	fmt.Fprintf(w, "differences: %d (%d numeric)\n", len(rep.Differences), numeric)
	for i, d := range rep.Differences {
		fmt.Fprintf(w, "%3d. %s%s  attachment %d-%d, web %d-%d\n", i+1, d.Type, headline(d),
			d.AttachmentRange[0], d.AttachmentRange[1], d.WebRange[0], d.WebRange[1])
		if d.Type != reconcile.WebOnly {
			fmt.Fprintf(w, "     attachment: %s\n", inContext(att, d.AttachmentRange))
		}
		if d.Type != reconcile.AttachmentOnly {
			fmt.Fprintf(w, "     web:        %s\n", inContext(web, d.WebRange))
		}
	}
}

// headline says what a difference is at a glance: a number changed, added
// or removed is given on both sides (whole numbers, as the report has
// them); a one-sided block its size and how many numbers it holds.
func headline(d reconcile.Difference) string {
	if len(d.Tags) > 0 {
		or := func(s string) string {
			if s == "" {
				return "(none)"
			}
			return s
		}
		return fmt.Sprintf(" [%s] attachment %s, web %s", strings.Join(d.Tags, ","), or(d.Attachment), or(d.Web))
	}
	var facts []string
	if d.Type != reconcile.Changed {
		facts = append(facts, fmt.Sprintf("%d characters", utf8.RuneCountInString(d.Attachment+d.Web)))
	}
	switch d.Numbers {
	case 0:
	case 1:
		facts = append(facts, "1 number")
	default:
		facts = append(facts, fmt.Sprintf("%d numbers", d.Numbers))
	}
	if len(facts) == 0 {
		return ""
	}
	return " (" + strings.Join(facts, ", ") + ")"
}

// inContext shows a span in brackets with a few characters around it;
// long spans are cut in the middle.
func inContext(t []rune, r [2]int) string {
	const ctx, long = 12, 60
	clean := func(rs []rune) string { return strings.NewReplacer("\n", "⏎", "\t", "⇥").Replace(string(rs)) }
	mid := t[r[0]:r[1]]
	span := clean(mid)
	if len(mid) > long {
		span = clean(mid[:long/2]) + fmt.Sprintf("…(%d characters)…", len(mid)) + clean(mid[len(mid)-long/2:])
	}
	before := t[max(0, r[0]-ctx):r[0]]
	after := t[r[1]:min(len(t), r[1]+ctx)]
	return "…" + clean(before) + "【" + span + "】" + clean(after) + "…"
}
