package store

import (
	"errors"
	"testing"
)

func TestLayout(t *testing.T) {
	p, f := "1778690715361914880", "1778690679265722368"
	for _, c := range []struct {
		got  func() (string, error)
		want string
	}{
		{func() (string, error) { return PolicyKey(p) }, "policies/1778690715361914880/policy.json"},
		{func() (string, error) { return PolicyHTMLKey(p) }, "policies/1778690715361914880/policy.html"},
		{func() (string, error) { return ReportKey(p) }, "policies/1778690715361914880/reconcile.json"},
		{func() (string, error) { return OriginalKey(p, f, "DOCX") }, "policies/1778690715361914880/files/1778690679265722368.docx"},
		{func() (string, error) { return OriginalKey(p, f, "exe") }, "policies/1778690715361914880/files/1778690679265722368.bin"},
		{func() (string, error) { return TextKey(p, f) }, "policies/1778690715361914880/files/1778690679265722368.txt"},
		{func() (string, error) { return RecordKey(p, f) }, "policies/1778690715361914880/files/1778690679265722368.json"},
	} {
		got, err := c.got()
		if err != nil || got != c.want {
			t.Errorf("got %q %v, want %q", got, err, c.want)
		}
	}
	for _, bad := range []string{"", "../x", "12/34", "1e5", " 1", "１２"} {
		if _, err := TextKey(bad, f); !errors.Is(err, ErrBadID) {
			t.Errorf("policy id %q accepted", bad)
		}
		if _, err := TextKey(p, bad); !errors.Is(err, ErrBadID) {
			t.Errorf("file id %q accepted", bad)
		}
	}
	if PolicyIDOf("policies/123/files/4.txt") != "123" || PolicyIDOf("other/123") != "" || PolicyIDOf("policies/../x") != "" {
		t.Error("PolicyIDOf")
	}
}
