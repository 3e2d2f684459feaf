package text

import (
	"strings"
	"testing"
)

// labels numbers the paragraphs at the given levels in order.
func labels(levels []ListLevel, ilvls ...int) string {
	var lc ListCounters
	var out []string
	for _, l := range ilvls {
		out = append(out, lc.Label(1, levels, l, nil))
	}
	return strings.Join(out, "|")
}

func TestListCounters(t *testing.T) {
	multi := []ListLevel{
		{Start: 1, Format: "decimal", Pattern: []rune{0}},
		{Start: 1, Format: "lowerLetter", Pattern: []rune{0, '.', 1}},
		{Start: 1, Format: "upperRoman", Pattern: []rune{0, '.', 1, '.', 2}},
	}
	cases := []struct {
		name   string
		levels []ListLevel
		ilvls  []int
		want   string
	}{
		{"restart deeper levels", multi, []int{0, 1, 2, 2, 1, 2, 0, 1}, "1|1.a|1.a.I|1.a.II|1.b|1.b.I|2|2.a"},
		{"a skipped level counts as used at its start", multi, []int{0, 0, 2, 1}, "1|2|2.a.I|2.b"},
		{"start at zero", []ListLevel{{Start: 0, Format: "ordinal", Pattern: []rune{0}}}, []int{0, 0, 0}, "0th|1st|2nd"},
		{"leading zero", []ListLevel{{Start: 0, Format: "decimalZero", Pattern: []rune{0}}, {Start: 1, Format: "decimal", Pattern: []rune{0, '.'}}}, []int{0, 0, 1}, "00|01|01."},
		{"restart limit: only level 0 restarts level 2", []ListLevel{multi[0], multi[1],
			{Start: 1, Format: "upperRoman", Pattern: []rune{0, '.', 1, '.', 2}, HasRestartLimit: true, RestartLimit: 1}},
			[]int{0, 1, 2, 2, 1, 2, 0, 2}, "1|1.a|1.a.I|1.a.II|1.b|1.b.III|2|2.a.I"},
		{"a bullet level shows nothing in a pattern", []ListLevel{multi[0],
			{Start: 1, Format: "bullet", Pattern: []rune{'•'}},
			{Start: 1, Format: "decimal", Pattern: []rune{0, '.', 1, '.', 2}}},
			[]int{0, 1, 2}, "1|•|1..1"},
		{"legal numbering", []ListLevel{multi[0], multi[1],
			{Start: 1, Format: "upperRoman", Pattern: []rune{0, '.', 1, '.', 2}, Legal: true}},
			[]int{0, 1, 1, 2}, "1|1.a|1.b|1.2.1"},
	}
	for _, c := range cases {
		if got := labels(c.levels, c.ilvls...); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
