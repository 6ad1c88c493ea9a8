package bench

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"oneonone/report"
	"oneonone/report/email"
	"oneonone/store"
)

// BenchmarkOrgMail is the per-person weekly mail of the organisation of
// BenchmarkOrg ([report.email] per_person): a report of orgManagers() ×
// orgReports pairs, and one run of email.PerPerson.SendWeek that cuts each
// manager's part out of it (report.For), composes it and sends it through
// a loopback SMTP sink, email.DefaultInFlight at once, each recorded in a
// real state file. The report itself is made by hand here, the same size
// as BenchmarkOrg/report's (which measures loading and building it).
func BenchmarkOrgMail(b *testing.B) {
	managers := orgManagers()
	r := orgMailReport(managers)
	sink := startSink(b)
	week := r.Week
	people := make([]email.Person, managers)
	for i := range people {
		people[i] = email.Person{Address: fmt.Sprintf("manager%d@example.com", i), Weekday: time.Monday, Hour: 8}
	}
	sender := email.Sender{Addr: sink.addr, Security: "none"}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(filepath.Join(iterDir(b), "state.db"))
		if err != nil {
			b.Fatal(err)
		}
		sink.reset()
		p := &email.PerPerson{
			Facts:    st.Facts(store.FactsMailSent).Expiring(store.MailSentTTL),
			People:   people,
			Location: berlin(),
			Build:    func(context.Context, report.Week) (*report.Report, error) { return r, nil },
			Send: func(ctx context.Context, to string, msg []byte) error {
				return sender.Send(ctx, "oneonone@example.com", []string{to}, msg)
			},
			From: "oneonone@example.com",
			Now:  func() time.Time { return benchNow },
		}
		b.StartTimer()
		if err := p.SendWeek(context.Background(), week, people); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if n := sink.count(); n != managers {
			b.Fatalf("%d mails for %d managers", n, managers)
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(managers), "mails/op")
	b.ReportMetric(float64(sink.bytes())/mb, "mail-MB/op")
}

// orgMailReport is a report of managers × orgReports pairs.
func orgMailReport(managers int) *report.Report {
	r := &report.Report{Heading: report.Heading{Week: report.Week{Year: 2026, Week: 46}, From: "2026-11-09", To: "2026-11-15", Timezone: "Europe/Berlin"}}
	for m := range managers {
		me := fmt.Sprintf("manager%d@example.com", m)
		for i := range orgReports {
			other := fmt.Sprintf("report%d.%d@example.com", m, i)
			r.Pairs = append(r.Pairs, report.PairReport{
				PairInfo: report.PairInfo{Pair: me + "|" + other, Me: me, Counterpart: other, Relationship: "report",
					Title: fmt.Sprintf("Manager %d / Report %d 1:1", m, i), Source: "org", Cadence: "weekly"},
				Week:     report.Counts{Planned: 1, Held: 1},
				Trailing: report.Trailing{Weeks: 12, Due: 12, Kept: 11, Consistency: 0.92, OnTime: 0.83, Streak: 5},
			})
		}
	}
	return r
}

// sink is a loopback SMTP server that counts what it accepts.
type sink struct {
	addr string
	mu   gosync.Mutex
	n    int
	size int
}

func (s *sink) reset()     { s.mu.Lock(); s.n, s.size = 0, 0; s.mu.Unlock() }
func (s *sink) count() int { s.mu.Lock(); defer s.mu.Unlock(); return s.n }
func (s *sink) bytes() int { s.mu.Lock(); defer s.mu.Unlock(); return s.size }

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return sinkSession{s}, nil }

type sinkSession struct{ s *sink }

func (sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss sinkSession) Data(r io.Reader) error {
	n, err := io.Copy(io.Discard, r)
	ss.s.mu.Lock()
	ss.s.n++
	ss.s.size += int(n)
	ss.s.mu.Unlock()
	return err
}
func (sinkSession) Reset()        {}
func (sinkSession) Logout() error { return nil }

func startSink(b *testing.B) *sink {
	b.Helper()
	s := &sink{}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s.addr = l.Addr().String()
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	b.Cleanup(func() { srv.Close(); l.Close(); <-done })
	return s
}
