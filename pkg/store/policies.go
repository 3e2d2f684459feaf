package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/policytext/policytext/pkg/htmltext"
	"github.com/policytext/policytext/pkg/policyapi"
)

// Policy reads a stored policy record.
func (s *Store) Policy(ctx context.Context, policyID string) (policyapi.Policy, error) {
	if err := check(policyID); err != nil {
		return policyapi.Policy{}, err
	}
	return s.policyAt(ctx, policyKey(policyID))
}

func (s *Store) policyAt(ctx context.Context, key string) (policyapi.Policy, error) {
	b, err := s.get(ctx, key, MaxPolicyBytes)
	if err != nil {
		return policyapi.Policy{}, err
	}
	var p policyapi.Policy
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("%w: %s: %v", ErrCorrupt, key, err)
	}
	p.Raw = b
	return p, nil
}

// PolicySHA256 is the digest of a record as the portal sent it: equal
// digests mean nothing changed.
func PolicySHA256(p policyapi.Policy) string {
	sum := sha256.Sum256(p.Raw)
	return hex.EncodeToString(sum[:])
}

// PutWebText stores the policy's web text as plain text (web.txt), exactly
// as the reconciler compares it: never the portal's HTML, which could run
// script in an S3 browser that renders it.
func (s *Store) PutWebText(ctx context.Context, p policyapi.Policy) error {
	if err := check(p.ID); err != nil {
		return err
	}
	return s.putBytes(ctx, webTextKey(p.ID), []byte(WebText(p)), putOptions{contentType: contentText})
}

// WebText is the policy's web text as the reconciler compares it: the
// paragraphs of its policyText, one per line.
func WebText(p policyapi.Policy) string {
	return strings.Join(htmltext.Paragraphs(p.PolicyText), "\n")
}

// PutPolicy stores the record exactly as received (p.Raw). When prev (the
// stored version) is given and differs, it is kept first as a dated copy
// under the policy's history/, so that what the portal said before stays
// readable (Versions, PolicyVersion).
func (s *Store) PutPolicy(ctx context.Context, p policyapi.Policy, prev *policyapi.Policy) error {
	if err := check(p.ID); err != nil {
		return err
	}
	if len(p.Raw) == 0 {
		return fmt.Errorf("store: policy %s: no raw record to store", p.ID)
	}
	if prev != nil && string(prev.Raw) != string(p.Raw) {
		err := s.copyObject(ctx, policyKey(p.ID), historyKey(p.ID, time.Now()))
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return s.putBytes(ctx, policyKey(p.ID), p.Raw, putOptions{contentType: contentJSON})
}

// PolicyIDs lists the ids of the stored policies (one listing request per
// thousand policies).
func (s *Store) PolicyIDs(ctx context.Context) ([]string, error) {
	names, err := s.listFolders(ctx, policiesPrefix)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(names, func(n string) bool { return !ValidID(n) }), nil
}

// Version is a kept earlier version of a policy record.
type Version struct {
	// Replaced is when a newer record took its place.
	Replaced time.Time
	stamp    string
}

// ID names the version in PolicyVersion.
func (v Version) ID() string { return v.stamp }

// Versions lists the kept earlier versions of a policy, oldest first.
func (s *Store) Versions(ctx context.Context, policyID string) ([]Version, error) {
	if err := check(policyID); err != nil {
		return nil, err
	}
	objs, err := s.list(ctx, historyPrefix(policyID))
	if err != nil {
		return nil, err
	}
	var out []Version
	for _, o := range objs {
		stamp, ok := strings.CutSuffix(strings.TrimPrefix(o.key, historyPrefix(policyID)), ".json")
		if !ok {
			continue
		}
		t, err := time.Parse(historyStamp, stamp)
		if err != nil {
			continue
		}
		out = append(out, Version{Replaced: t, stamp: stamp})
	}
	slices.SortFunc(out, func(a, b Version) int { return a.Replaced.Compare(b.Replaced) })
	return out, nil
}

// PolicyVersion reads a kept earlier version (id from Version.ID).
func (s *Store) PolicyVersion(ctx context.Context, policyID, versionID string) (policyapi.Policy, error) {
	if err := check(policyID); err != nil {
		return policyapi.Policy{}, err
	}
	t, err := time.Parse(historyStamp, versionID)
	if err != nil {
		return policyapi.Policy{}, fmt.Errorf("%w: version %q", ErrNotFound, versionID)
	}
	return s.policyAt(ctx, historyKey(policyID, t))
}
