package store

import "context"

// PutReport stores a policy's reconcile report.
func (s *Store) PutReport(ctx context.Context, r Report) error {
	if err := check(r.PolicyID); err != nil {
		return err
	}
	return s.putJSON(ctx, reportKey(r.PolicyID), r)
}

// Report reads a policy's reconcile report.
func (s *Store) Report(ctx context.Context, policyID string) (Report, error) {
	var r Report
	if err := check(policyID); err != nil {
		return r, err
	}
	err := s.getJSON(ctx, reportKey(policyID), MaxReportBytes, &r)
	return r, err
}
