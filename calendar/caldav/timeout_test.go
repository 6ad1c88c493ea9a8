package caldav_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"oneonone/calendar/caldav"
)

// A slow server that keeps streaming is read to the end, however long the
// whole answer takes; one that stops sending is cut off after IdleTimeout.
// The durations only decide which of the two happens: nothing asserts how
// long a request took.
func TestIdleTimeoutNotWholeRequest(t *testing.T) {
	const idle = 1500 * time.Millisecond
	chunk := 200 * time.Millisecond
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/calendar")
		w.Header().Set("ETag", `"e1"`)
		w.WriteHeader(http.StatusOK)
		fl := w.(http.Flusher)
		lines := strings.SplitAfter(strings.ReplaceAll(ics, "%s", "x"), "\r\n")
		for i, l := range lines {
			_, _ = w.Write([]byte(l))
			fl.Flush()
			if strings.Contains(r.URL.Path, "stalls") && i == 2 {
				select {
				case <-stall:
				case <-r.Context().Done():
				}
				return
			}
			time.Sleep(chunk)
		}
	}))
	defer ts.Close()
	c, err := caldav.New(caldav.Options{URL: ts.URL + "/", IdleTimeout: idle})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// 11 lines, 200 ms apart: the answer takes longer than IdleTimeout.
	obj, err := c.Get(ctx, "/cal/streams.ics")
	if err != nil {
		t.Fatalf("a streaming answer was cut off: %v", err)
	}
	if !strings.HasSuffix(string(obj.Data), "END:VCALENDAR\r\n") {
		t.Fatalf("answer incomplete: %q", obj.Data)
	}
	_, err = c.Get(ctx, "/cal/stalls.ics")
	if err == nil || !strings.Contains(err.Error(), "no data from the server") {
		t.Fatalf("a stalled answer: err = %v, want the idle timeout named", err)
	}
}
