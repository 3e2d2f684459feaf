package store

import (
	"time"

	"github.com/policytext/policytext/pkg/reconcile"
)

// Record is the extraction record of one attachment: what was found, or why
// it failed. It is stored next to the attachment's text.
type Record struct {
	PolicyID string `json:"policyId"`
	FileID   string `json:"fileId"`
	FileName string `json:"fileName"`
	FileURL  string `json:"fileUrl"`
	// FinalURL is where the download ended (when it is not FileURL): the
	// last hop of redirects, or the one refused.
	FinalURL string `json:"finalUrl,omitempty"`
	// Redirects are the redirects answered, in order.
	Redirects []Redirect `json:"redirects,omitempty"`
	OK        bool       `json:"ok"`
	Format    string     `json:"format,omitempty"` // sniffed: doc, docx, rtf, wordml
	Version   string     `json:"version,omitempty"`
	// Original is the extension the original is stored under (the sniffed
	// format's, or "bin"); empty when nothing was downloaded.
	Original   string         `json:"original,omitempty"`
	Bytes      int64          `json:"bytes,omitempty"`
	SHA256     string         `json:"sha256,omitempty"`
	Stories    map[string]int `json:"stories,omitempty"` // characters per story kind
	Paragraphs int            `json:"paragraphs,omitempty"`
	Tables     int            `json:"tables,omitempty"`
	// Warnings say what the parser recovered from (a damaged stream, ...).
	Warnings  []string `json:"warnings,omitempty"`
	ElapsedMS float64  `json:"elapsedMs"`
	Error     string   `json:"error,omitempty"`
	ErrorKind string   `json:"errorKind,omitempty"`
	// Run identifies the extraction that wrote this record; the reconciler
	// notes it, so that a later event of the same run needs no new report.
	Run string    `json:"run,omitempty"`
	At  time.Time `json:"at"`
}

// Redirect is one redirect of a download: the URL that answered with it
// and its status.
type Redirect struct {
	Status int    `json:"status"`
	URL    string `json:"url"`
}

// Report is the stored reconcile report of a policy.
type Report struct {
	PolicyID    string           `json:"policyId"`
	Title       string           `json:"policyTitle"`
	Attachments []AttachmentNote `json:"attachments"`
	Report      reconcile.Report `json:"report"`
	// PolicySHA256 is the PolicySHA256 of the record compared.
	PolicySHA256 string    `json:"policySha256,omitempty"`
	At           time.Time `json:"at"`
}

// AttachmentNote says which attachment texts went into the comparison.
type AttachmentNote struct {
	FileID    string `json:"fileId"`
	OK        bool   `json:"ok"`
	Error     string `json:"error,omitempty"`
	ErrorKind string `json:"errorKind,omitempty"`
	Run       string `json:"run,omitempty"`
}

// Covers reports whether the report already took the extraction run of
// an attachment into account.
func (r *Report) Covers(fileID, run string) bool {
	for _, a := range r.Attachments {
		if a.FileID == fileID {
			return run != "" && a.Run == run
		}
	}
	return false
}
