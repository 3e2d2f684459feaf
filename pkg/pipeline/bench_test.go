package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkThroughput runs the 190-attachment sample catalogue through the
// in-process stack (sample portal → NATS → extractors → S3) with 1, 2 and
// 4 extractor workers: attachments/s from the crawl to the last stored
// record, and p50/p99 of the job time (download, extract, store).
//
//	go test -run '^$' -bench Throughput -benchtime 1x ./pkg/pipeline
func BenchmarkThroughput(b *testing.B) {
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			var rates, p50s, p99s []float64
			i := 0
			for b.Loop() {
				i++
				s := newStack(b, fmt.Sprintf("bench-w%d-%d", workers, i))
				ctx := context.Background()
				var mu sync.Mutex
				var lat []time.Duration
				runCtx, cancel := context.WithCancel(ctx)
				ex := &Extractor{Store: s.st, JS: s.js, Log: s.log, Workers: workers, AllowedHosts: []string{s.host()},
					Observe: func(_ bool, d time.Duration, _ string) { mu.Lock(); lat = append(lat, d); mu.Unlock() }}
				done := make(chan struct{})
				go func() { ex.Run(runCtx); close(done) }()
				start := time.Now()
				st, err := s.fetcher(50).Crawl(ctx)
				if err != nil {
					b.Fatal(err)
				}
				for {
					mu.Lock()
					n := len(lat)
					mu.Unlock()
					if n >= st.Queued {
						break
					}
					time.Sleep(5 * time.Millisecond)
				}
				elapsed := time.Since(start)
				cancel()
				<-done
				texts := 0
				for _, k := range s.rawKeys(b, "policies/") {
					if strings.Contains(k, "/files/") && strings.HasSuffix(k, ".txt") { // not the policies' web.txt
						texts++
					}
				}
				if texts != st.Queued {
					b.Fatalf("%d texts for %d jobs", texts, st.Queued)
				}
				slices.Sort(lat)
				rates = append(rates, float64(st.Queued)/elapsed.Seconds())
				p50s = append(p50s, float64(lat[len(lat)/2].Microseconds())/1000)
				p99s = append(p99s, float64(lat[len(lat)*99/100].Microseconds())/1000)
			}
			b.ReportMetric(mean(rates), "attachments/s")
			b.ReportMetric(mean(p50s), "p50_ms")
			b.ReportMetric(mean(p99s), "p99_ms")
		})
	}
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
