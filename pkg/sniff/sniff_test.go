package sniff

import (
	"os"
	"testing"
)

func TestDetect(t *testing.T) {
	cases := []struct {
		head string
		want Format
	}{
		{"", Empty},
		{"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", OLE},
		{"PK\x03\x04rest", Zip},
		{"{\\rtf1\\ansi", RTF},
		{"\xEF\xBB\xBF  {\\rtf1", RTF},
		{"\xDB\xA5\x2D\x00", Word2},
		{"<!DOCTYPE html><html>", HTML},
		{"\n<HTML><body>", HTML},
		{`<?xml version="1.0"?><?mso-application progid="Word.Document"?><w:wordDocument`, WordXML},
		{`<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code>`, XML},
		{"%PDF-1.7", PDF},
		{"just text", Unknown},
	}
	for _, c := range cases {
		if got := Detect([]byte(c.head)); got != c.want {
			t.Errorf("Detect(%q) = %v, want %v", c.head, got, c.want)
		}
	}
}

func TestDetectFixtures(t *testing.T) {
	for file, want := range map[string]Format{
		"../msdoc/testdata/bad/html_error_page.doc": HTML,
		"../msdoc/testdata/bad/oss_nosuchkey.doc":   XML,
		"../msdoc/testdata/bad/docx_named_as.doc":   Zip,
		"../msdoc/testdata/bad/rtf_named_as.doc":    RTF,
		"../msdoc/testdata/bad/empty.doc":           Empty,
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if got := Detect(b); got != want {
			t.Errorf("%s: %v, want %v", file, got, want)
		}
	}
}
