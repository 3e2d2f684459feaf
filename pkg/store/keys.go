// Package store owns the object-store layout: every S3 key of the project
// is spelled here, built only from validated portal ids, so that any S3
// browser shows one folder per policy:
//
//	policies/<policyId>/policy.json          the record as the portal sent it
//	policies/<policyId>/policy.html          its policyText as a UTF-8 page
//	policies/<policyId>/files/<fileId>.doc   the original attachment (or .docx)
//	policies/<policyId>/files/<fileId>.txt   its extracted text
//	policies/<policyId>/files/<fileId>.json  the extraction record (or the error)
//	policies/<policyId>/reconcile.json       the reconcile report
//
// Example:
//
//	k, err := store.TextKey(policyID, fileID)
//	if err != nil { /* an id that is not digits never reaches S3 */ }
//	err = st.Put(ctx, k, []byte(text), store.TextPlain, nil)
package store

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Content types of the objects.
const (
	TextPlain = "text/plain; charset=utf-8"
	JSON      = "application/json"
	HTML      = "text/html; charset=utf-8"
)

// ErrBadID: an id that is not a portal id (digits only).
var ErrBadID = errors.New("store: invalid id")

var digits = regexp.MustCompile(`^[0-9]{1,30}$`)

func check(ids ...string) error {
	for _, id := range ids {
		if !digits.MatchString(id) {
			return fmt.Errorf("%w: %q", ErrBadID, id)
		}
	}
	return nil
}

// Prefix is the folder of all policies.
const Prefix = "policies/"

// PolicyPrefix is the folder of one policy.
func PolicyPrefix(policyID string) (string, error) {
	if err := check(policyID); err != nil {
		return "", err
	}
	return Prefix + policyID + "/", nil
}

func policyKey(policyID, name string) (string, error) {
	p, err := PolicyPrefix(policyID)
	if err != nil {
		return "", err
	}
	return p + name, nil
}

// PolicyKey is the stored record.
func PolicyKey(policyID string) (string, error) { return policyKey(policyID, "policy.json") }

// PolicyHTMLKey is the policyText as a page.
func PolicyHTMLKey(policyID string) (string, error) { return policyKey(policyID, "policy.html") }

// ReportKey is the reconcile report.
func ReportKey(policyID string) (string, error) { return policyKey(policyID, "reconcile.json") }

func fileKey(policyID, fileID, ext string) (string, error) {
	if err := check(policyID, fileID); err != nil {
		return "", err
	}
	return Prefix + policyID + "/files/" + fileID + "." + ext, nil
}

// OriginalKey is the attachment as downloaded; the extension is the
// portal's fileType when it is doc or docx, else "bin".
func OriginalKey(policyID, fileID, fileType string) (string, error) {
	ext := strings.ToLower(fileType)
	if ext != "doc" && ext != "docx" {
		ext = "bin"
	}
	return fileKey(policyID, fileID, ext)
}

// TextKey is the extracted text.
func TextKey(policyID, fileID string) (string, error) { return fileKey(policyID, fileID, "txt") }

// RecordKey is the extraction record.
func RecordKey(policyID, fileID string) (string, error) { return fileKey(policyID, fileID, "json") }

// PolicyIDOf returns the policy id of a key under Prefix ("" if none).
func PolicyIDOf(key string) string {
	rest, ok := strings.CutPrefix(key, Prefix)
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	if check(id) != nil {
		return ""
	}
	return id
}
