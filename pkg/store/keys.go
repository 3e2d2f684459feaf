package store

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Content types of the objects. Nothing this package stores is ever
// served as a type a browser would run script in.
const (
	contentText = "text/plain; charset=utf-8"
	contentJSON = "application/json"
	contentBin  = "application/octet-stream"
)

// ErrBadID: an id that is not a portal id (digits only).
var ErrBadID = errors.New("store: invalid id")

var digits = regexp.MustCompile(`^[0-9]{1,30}$`)

// ValidID reports whether id may form a key: 1 to 30 ASCII digits.
func ValidID(id string) bool { return digits.MatchString(id) }

func check(ids ...string) error {
	for _, id := range ids {
		if !ValidID(id) {
			return fmt.Errorf("%w: %q", ErrBadID, id)
		}
	}
	return nil
}

// The layout. Every key of the bucket is spelled in this file.
const (
	policiesPrefix = "policies/"
	indexPrefix    = "index/"
)

func policyPrefix(policyID string) string { return policiesPrefix + policyID + "/" }
func filesPrefix(policyID string) string  { return policyPrefix(policyID) + "files/" }
func policyKey(policyID string) string    { return policyPrefix(policyID) + "policy.json" }
func webTextKey(policyID string) string   { return policyPrefix(policyID) + "web.txt" }
func reportKey(policyID string) string    { return policyPrefix(policyID) + "reconcile.json" }
func historyPrefix(policyID string) string {
	return policyPrefix(policyID) + "history/"
}
func historyKey(policyID string, at time.Time) string {
	return historyPrefix(policyID) + at.UTC().Format(historyStamp) + ".json"
}
func textKey(policyID, fileID string) string   { return filesPrefix(policyID) + fileID + ".txt" }
func recordKey(policyID, fileID string) string { return filesPrefix(policyID) + fileID + ".json" }
func originalKey(policyID, fileID, ext string) string {
	return filesPrefix(policyID) + fileID + "." + ext
}

// historyStamp names a kept version by the time it was replaced; it sorts
// as text in time order.
const historyStamp = "20060102T150405.000000000Z"

// policyIDOf returns the policy id of a key under policies/ ("" if none).
func policyIDOf(key string) string {
	rest, ok := strings.CutPrefix(key, policiesPrefix)
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	if !ValidID(id) {
		return ""
	}
	return id
}

// storedExt checks the extension of a stored original: a sniffed
// format's (pkg/extract's table) or "bin", never one a browser would
// render (html, svg, ...).
var storedExt = regexp.MustCompile(`^(doc|docx|rtf|xml|bin|wps|odt|pdf)$`)

// servable keeps a content type no browser runs script in; anything else
// is served as opaque bytes.
func servable(contentType string) string {
	ct := strings.ToLower(contentType)
	for _, bad := range []string{"html", "xml", "svg", "script", "text/", "multipart", "image/"} {
		if strings.Contains(ct, bad) {
			return contentBin
		}
	}
	if ct == "" {
		return contentBin
	}
	return contentType
}
