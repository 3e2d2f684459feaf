package policyapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Why paging ended (CrawlReport.Stop).
const (
	StopLastPage     = "last page"     // hasNext was false
	StopEmptyPage    = "empty page"    // a page without records
	StopRepeatedPage = "repeated page" // the same ids as the page before
	StopPastTotal    = "past totalNum" // read past totalNum by the margin (see CrawlWithReport)
	StopPageCap      = "page cap"      // ClientConfig.MaxPages pages asked
	StopFound        = "found"         // Find found its id
)

// MaxPageSize is the largest page asked for.
const MaxPageSize = 1000

// maxSkipsKept bounds CrawlReport.SkippedRecords (all are counted).
const maxSkipsKept = 100

// maxSkipsLogged bounds the warnings about skipped records in one crawl
// (a hostile page could hold thousands).
const maxSkipsLogged = 20

// CrawlReport counts one pass over the list, for logs and metrics.
type CrawlReport struct {
	Pages          int    `json:"pages"`          // pages read
	Records        int    `json:"records"`        // records handed to the callback
	Skipped        int    `json:"skipped"`        // records that could not be used
	SkippedRecords []Skip `json:"skippedRecords"` // the first 100 of them, with where and why
	Duplicates     int    `json:"duplicates"`     // records whose id came earlier in this crawl (the first wins)
	Shrunk         int    `json:"shrunk"`         // pages over MaxBody asked again smaller
	TotalNum       int    `json:"totalNum"`       // the portal's count (the largest it gave)
	Stop           string `json:"stop"`           // why paging ended; "" if an error ended it
}

func (r *CrawlReport) skip(s Skip) {
	r.Skipped++
	if len(r.SkippedRecords) < maxSkipsKept {
		r.SkippedRecords = append(r.SkippedRecords, s)
	}
}

// Crawl pages through the whole list and calls fn for every usable
// policy, in the portal's order, once per id. It stops at the first error
// of fn. CrawlWithReport says more.
func (c *Client) Crawl(ctx context.Context, pageSize int, fn func(Policy) error) error {
	_, err := c.CrawlWithReport(ctx, pageSize, fn)
	return err
}

// CrawlWithReport pages through the whole list (pageSize records a page,
// ClientConfig.PageSize if 0) and calls fn for every usable policy, in the
// portal's order, the first time its id is seen. It stops at the first
// error of fn, which it returns as is.
//
// The position in the list is the number of records read so far; each
// page is asked at that offset (pageNo = offset/pageSize + 1, with a page
// size that divides the offset), so that a page asked again smaller, or a
// portal that answers fewer or more records than asked, neither skips nor
// repeats records. Page sizes are at most MaxPageSize. A page over MaxBody
// is asked again at half the size, down to a single record; a single
// record over MaxBody is skipped and reported.
//
// Paging ends when hasNext is false, on an empty page, on a page with the
// same ids as the page before (a portal ignoring pageNo), once the offset
// passes totalNum by max(2 pages, totalNum/10) (a hasNext that never ends;
// the margin lets the list grow a little during the crawl), or after
// ClientConfig.MaxPages requests. The last three are logged; they return an
// error wrapping ErrPaging if the page cap was reached, or if fewer
// records than totalNum were read (a repeated page not counted): a portal
// that repeats page 1 for ever has not given its list.
func (c *Client) CrawlWithReport(ctx context.Context, pageSize int, fn func(Policy) error) (CrawlReport, error) {
	if pageSize <= 0 {
		pageSize = c.cfg.PageSize
	}
	pageSize = min(pageSize, MaxPageSize)
	var rep CrawlReport
	seen := make(map[string]struct{}) // ids of this crawl: bounded by the list's length
	offset, sizeCap, logged := 0, pageSize, 0
	pastTotal := func() bool {
		return rep.TotalNum > 0 && offset >= rep.TotalNum+max(2*pageSize, rep.TotalNum/10)
	}
	// stopped ends a crawl the portal said was not over, after read
	// records of the list
	stopped := func(why string, no, read int) (CrawlReport, error) {
		rep.Stop = why
		c.log.Warn("portal paging stopped though hasNext is true", "reason", why, "page", no, "read", read,
			"distinct", len(seen), "skipped", rep.Skipped, "totalNum", rep.TotalNum)
		if why == StopPageCap || read < rep.TotalNum {
			return rep, fmt.Errorf("%w: %s at page %d: %d records read of totalNum %d", ErrPaging, why, no, read, rep.TotalNum)
		}
		return rep, nil
	}
	var previous []string // the ids of the page before, for spotting a repeat
	for asked := 0; ; asked++ {
		size := divisorAtMost(offset, sizeCap)
		no := offset/size + 1
		if asked >= c.cfg.MaxPages {
			return stopped(StopPageCap, no, offset)
		}
		p, err := c.Page(ctx, no, size)
		if errors.Is(err, ErrPageTooLarge) {
			if size > 1 {
				rep.Shrunk++
				sizeCap = max(size/2, 1)
				c.log.Warn("portal page over the size limit; asking smaller pages", "page", no, "size", size,
					"next_size", divisorAtMost(offset, sizeCap))
				continue
			}
			// one record over the limit: give it up, go on after it
			s := Skip{PageNo: no, PageSize: 1, Reason: fmt.Sprintf("record over %d bytes", c.cfg.MaxBody)}
			rep.skip(s)
			c.log.Warn("portal record skipped", "where", s.String())
			offset++
			sizeCap = pageSize
			if pastTotal() {
				return stopped(StopPastTotal, no, offset)
			}
			continue
		}
		if err != nil {
			return rep, err
		}
		rep.Pages++
		if p.Records > size {
			// the portal pages by its own size: follow it, or pageNo
			// would point past records not read yet
			c.log.Warn("portal answered more records than asked; following its page size", "asked", size, "got", p.Records)
			pageSize = min(p.Records, MaxPageSize)
		}
		sizeCap = pageSize
		rep.TotalNum = max(rep.TotalNum, p.TotalNum)
		ids := pageIDs(p)
		if p.Records > 0 && slices.Equal(ids, previous) {
			// the portal ignores pageNo, or has nothing new to say
			rep.Duplicates += len(p.Policies)
			return stopped(StopRepeatedPage, no, offset)
		}
		previous = ids
		for _, s := range p.Skipped {
			rep.skip(s)
			if logged++; logged <= maxSkipsLogged {
				c.log.Warn("portal record skipped", "where", s.String())
			} else if logged == maxSkipsLogged+1 {
				c.log.Warn("more portal records skipped than logged; see the crawl report")
			}
		}
		for _, pol := range p.Policies {
			if _, ok := seen[pol.ID]; ok {
				rep.Duplicates++
				continue
			}
			seen[pol.ID] = struct{}{}
			rep.Records++
			if err := fn(pol); err != nil {
				return rep, err
			}
		}
		offset += p.Records
		switch {
		case p.Records == 0:
			rep.Stop = StopEmptyPage
			return rep, nil
		case !p.HasNext:
			rep.Stop = StopLastPage
			return rep, nil
		case pastTotal():
			return stopped(StopPastTotal, no, offset)
		}
	}
}

// pageIDs lists the ids of a page's records, usable or not, in order.
func pageIDs(p *Page) []string {
	ids := make([]string, 0, p.Records)
	pi, si := 0, 0
	for i := range p.Records {
		if si < len(p.Skipped) && p.Skipped[si].Index == i {
			ids = append(ids, "skipped:"+p.Skipped[si].ID)
			si++
		} else if pi < len(p.Policies) {
			ids = append(ids, p.Policies[pi].ID)
			pi++
		}
	}
	return ids
}

// divisorAtMost is the largest page size up to limit whose pages start at
// offset: the largest divisor of offset not above limit (limit itself at
// offset 0).
func divisorAtMost(offset, limit int) int {
	limit = max(limit, 1)
	if offset == 0 {
		return limit
	}
	for d := limit; d > 1; d-- {
		if offset%d == 0 {
			return d
		}
	}
	return 1
}

// errFound ends Find's crawl.
var errFound = errors.New("found")

// Find pages the list (ClientConfig.PageSize a page) until it meets id,
// and returns that record. The list is newest first but its ids are not
// ordered, so it pages to the end before answering ErrNotFound.
func (c *Client) Find(ctx context.Context, id string) (*Policy, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("%w: policy id %q", ErrInvalidRecord, id)
	}
	var found *Policy
	rep, err := c.CrawlWithReport(ctx, 0, func(p Policy) error {
		if p.ID == id {
			found = &p
			return errFound
		}
		return nil
	})
	switch {
	case errors.Is(err, errFound):
		return found, nil
	case err != nil:
		return nil, err
	}
	return nil, fmt.Errorf("%w: %s after %d pages (%d records)", ErrNotFound, id, rep.Pages, rep.Records)
}
