package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/textproto"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"oneonone/report"
)

// Person is one recipient of the per-person mail: an address of
// identity.me, mailed the pairs it is in, at its own Weekday Hour:Minute.
type Person struct {
	Address      string // lower-cased
	Weekday      time.Weekday
	Hour, Minute int
}

// DefaultInFlight is how many per-person mails are composed and sent at
// once when PerPerson.InFlight is 0.
const DefaultInFlight = 4

// DefaultAttempts is how many times one recipient's mail is tried within
// one run when PerPerson.Attempts is 0 (transient failures only).
const DefaultAttempts = 4

// attemptBackoff is the wait after the n-th transient failure (n from 1)
// of one recipient within a run.
var attemptBackoff = []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute}

// runRetry is how long Run waits before it tries again the recipients
// whose attempts all failed transiently.
const runRetry = 15 * time.Minute

// States of one person's mail of one week, kept under personKey as
// "<state> <RFC 3339 time>". "sent", "sending" and "refused" are final for
// the week; "failed" is due again.
const (
	stateRefused = "refused" // the server refused for good (5xx)
	stateNone    = "none"    // the person had no pairs: no mail
)

// PerPerson mails each person a report of only the pairs they are in, to
// their own address, at their own time: [report.email] per_person.
//
// Every person's mail of a week is remembered in Facts under "<week>
// <address>", so a restart, or a retry after one recipient failed, never
// sends again to someone already served: the same at-most-once rule as
// Scheduler, per person. At most InFlight mails are in flight at once;
// each recipient's transient failures (4xx replies, a lost connection)
// are retried on their own with backoff; a permanent refusal (5xx) is
// given up for the week with one logged line naming the recipient.
//
// A person with no pairs in the report gets no mail.
type PerPerson struct {
	Facts    Facts // store.FactsMailSent, expiring
	People   []Person
	Location *time.Location // nil means UTC
	// Build makes the whole report of week; each person gets its For.
	Build func(ctx context.Context, week report.Week) (*report.Report, error)
	// Send delivers msg, made by Compose from From, to the one address
	// to: a Sender's Send, typically.
	Send     func(ctx context.Context, to string, msg []byte) error
	From     string
	InFlight int                                              // 0 = DefaultInFlight
	Attempts int                                              // 0 = DefaultAttempts
	Now      func() time.Time                                 // nil = time.Now
	Sleep    func(ctx context.Context, d time.Duration) error // nil = a timer bound to ctx
	Log      *slog.Logger                                     // nil = no logs
}

// personKey is the key of person's mail of week w in Facts.
func personKey(w report.Week, person string) string { return w.String() + " " + person }

func (p *PerPerson) sched(pp Person) *Scheduler {
	return &Scheduler{Weekday: pp.Weekday, Hour: pp.Hour, Minute: pp.Minute, Location: p.Location, Now: p.Now, Sleep: p.Sleep, Log: p.Log}
}

func (p *PerPerson) state(w report.Week, person string) (string, error) {
	v, ok, err := p.Facts.String(personKey(w, person))
	if err != nil || !ok {
		return "", err
	}
	state, _, _ := strings.Cut(v, " ")
	return state, nil
}

func (p *PerPerson) setState(w report.Week, person, state string) error {
	return p.Facts.PutString(personKey(w, person), state+" "+p.sched(Person{}).now().UTC().Format(time.RFC3339))
}

// Due returns the people whose mail of the last full week before now is
// due at now: their send time in now's week has passed and their mail is
// neither sent, being sent, refused nor empty.
func (p *PerPerson) Due(now time.Time) (report.Week, []Person, error) {
	loc := p.sched(Person{}).loc()
	cur := report.WeekOf(now, loc)
	week := cur.Add(-1)
	var due []Person
	for _, pp := range p.People {
		if now.Before(p.sched(pp).sendTime(cur)) {
			continue
		}
		state, err := p.state(week, pp.Address)
		if err != nil {
			return week, nil, err
		}
		if state == "" || state == stateFailed {
			due = append(due, pp)
		}
	}
	return week, due, nil
}

// check reports what is missing for Run.
func (p *PerPerson) check() error {
	var errs []error
	if p.Facts == nil {
		errs = append(errs, errors.New("no Facts"))
	}
	if p.Build == nil {
		errs = append(errs, errors.New("no Build"))
	}
	if p.Send == nil {
		errs = append(errs, errors.New("no Send"))
	}
	if _, err := parseAddress(p.From); err != nil {
		errs = append(errs, fmt.Errorf("from: %w", err))
	}
	for _, pp := range p.People {
		if err := p.sched(pp).checkTime(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", pp.Address, err))
		}
		if _, err := parseAddress(pp.Address); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("per-person report mail: %w", err)
	}
	return nil
}

// Run mails each person's report when it is due, until ctx ends, and then
// returns nil. It returns an error only when p is not usable. Recipients
// whose attempts all failed are tried again after a while, while the week
// is the last full one.
func (p *PerPerson) Run(ctx context.Context) error {
	if err := p.check(); err != nil {
		return err
	}
	s := p.sched(Person{})
	for {
		now := s.now()
		week, due, err := p.Due(now)
		if err == nil && len(due) > 0 {
			err = p.SendWeek(ctx, week, due)
		}
		if ctx.Err() != nil {
			return nil
		}
		wait := maxSleep
		for _, pp := range p.People {
			wait = min(wait, p.sched(pp).Next(now).Sub(now))
		}
		if err != nil {
			s.log().Error("per-person report mail failed", slog.String("week", week.String()),
				slog.Duration("retry_in", min(runRetry, wait)), slog.String("error", err.Error()))
			wait = min(wait, runRetry)
		}
		if err := s.sleep(ctx, wait); err != nil || ctx.Err() != nil {
			return nil
		}
	}
}

// SendWeek builds the report of week once, splits it by person
// (report.Split) and mails each of people their part, at most InFlight at
// once. It returns the failures of the
// recipients that are due again (joined); refused and maybe-delivered
// ones are logged, not returned.
func (p *PerPerson) SendWeek(ctx context.Context, week report.Week, people []Person) error {
	r, err := p.Build(ctx, week)
	if err != nil {
		return fmt.Errorf("build report %s: %w", week, err)
	}
	addrs := make([]string, len(people))
	for i, pp := range people {
		addrs[i] = pp.Address
	}
	parts := r.Split(addrs)
	inFlight := p.InFlight
	if inFlight <= 0 {
		inFlight = DefaultInFlight
	}
	var (
		sem  = make(chan struct{}, inFlight)
		wg   gosync.WaitGroup
		mu   gosync.Mutex
		errs []error
	)
	for _, pp := range people {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := p.sendOne(ctx, week, parts[pp.Address], pp.Address); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

// sendOne mails person mine, its part of the report (report.For), trying
// again on transient failures.
func (p *PerPerson) sendOne(ctx context.Context, week report.Week, mine *report.Report, person string) error {
	s := p.sched(Person{})
	log := s.log().With(slog.String("week", week.String()), slog.String("to", person))
	// Someone else (an earlier run) may have served the person since Due.
	if state, err := p.state(week, person); err != nil {
		return err
	} else if state != "" && state != stateFailed {
		return nil
	}
	if len(mine.Pairs) == 0 {
		return p.setState(week, person, stateNone)
	}
	msg, err := Compose(mine, p.From, []string{person}, s.now())
	if err != nil {
		return fmt.Errorf("report mail to %s: %w", person, err)
	}
	attempts := p.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	if err := p.setState(week, person, stateSending); err != nil {
		// Without the mark, a crash could send twice: do not deliver.
		return fmt.Errorf("mark report mail %s to %s as sending: %w", week, person, err)
	}
	for n := 1; ; n++ {
		err = p.Send(ctx, person, msg)
		switch {
		case err == nil:
			if err := p.setState(week, person, stateSent); err != nil {
				log.Error("report mail sent but not recorded as sent", slog.String("error", err.Error()))
			}
			return nil
		case errors.Is(err, ErrMaybeDelivered):
			log.Warn("report mail may or may not have been delivered; not sending it again (at most once)",
				slog.String("error", err.Error()))
			return nil
		case permanent(err):
			log.Error("report mail refused; not trying again this week", slog.String("error", err.Error()))
			if serr := p.setState(week, person, stateRefused); serr != nil {
				return fmt.Errorf("mark report mail %s to %s as refused: %w", week, person, serr)
			}
			return nil
		}
		if n >= attempts || ctx.Err() != nil {
			break
		}
		if serr := s.sleep(ctx, attemptBackoff[min(n, len(attemptBackoff))-1]); serr != nil {
			break
		}
	}
	if serr := p.setState(week, person, stateFailed); serr != nil {
		// It stays "sending", so it is not retried: at most once.
		return fmt.Errorf("report mail to %s: %w; and mark it as failed: %w", person, err, serr)
	}
	return fmt.Errorf("report mail to %s: %w", person, err)
}

// permanent reports whether err is an SMTP reply that says trying again
// will not help (5xx, RFC 5321 section 4.2.1).
func permanent(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te) && te.Code >= 500 && te.Code < 600
}
