package reconcile_test

import (
	"fmt"

	"github.com/policytext/policytext/pkg/reconcile"
)

// A target year changed in the attachment: the difference is the whole
// number with its unit, not the digits the character diff finds.
func ExampleCompare() {
	attachment := "第一条 为推动摩托车产业高质量发展，制定本计划。\n到2034年，全市摩托车产业工业总产值达到1400亿元。\n"
	web := "第一条 为推动摩托车产业高质量发展,制定本计划。\n到2027年,全市摩托车产业工业总产值达到1400亿元。\n"
	rep := reconcile.Compare(attachment, web, reconcile.Options{})
	fmt.Println(rep.Verdict)
	for _, d := range rep.Differences {
		fmt.Printf("%s %v: attachment %q %v, web %q %v\n", d.Type, d.Tags, d.Attachment, d.AttachmentRange, d.Web, d.WebRange)
	}
	// Output:
	// differs
	// changed [numeric]: attachment "2034年" [26 31], web "2027年" [26 31]
}
