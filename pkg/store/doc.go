// Package store is the typed repository of the bucket: it owns the S3
// layout, the stored types and the size limits of what it reads, so that
// the stages, the pages, the all-in-one and the CLI never spell a key or
// decode a stored object. Keys are built only from validated portal ids
// (digits). One folder per policy, browsable with any S3 browser:
//
//	policies/<id>/policy.json            the record as the portal sent it
//	policies/<id>/web.txt                its web text, as the reconciler compares it
//	policies/<id>/history/<time>.json    earlier versions of the record
//	policies/<id>/files/<fileId>.<ext>   the original, under its sniffed type (download only)
//	policies/<id>/files/<fileId>.txt     the extracted text (empty when it failed), its extraction
//	                                     record in its metadata (written last: the attachment is settled)
//	policies/<id>/files/<fileId>.json    the extraction record, only when too large for metadata
//	policies/<id>/reconcile.json         the reconcile report
//	index/<time>-<random>.json           segments of the policy index
//
// Nothing stored is served as a type a browser would run script in: the
// portal's HTML stays inside policy.json, originals are offered as
// attachments of a type no browser renders.
//
// The package sits above the pure packages whose types it stores
// (policyapi's record, reconcile's report) and htmltext, which makes the
// web text.
package store
