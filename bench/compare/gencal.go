package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// calObject is one calendar object resource to PUT: its name in the
// collection and its iCalendar text.
type calObject struct {
	Name string
	Data []byte
}

// calMix counts what generateCalendar made, for the report.
type calMix struct {
	Objects, OneOnOnes, TeamSeries, OneOffs, AllDay, Cancelled int
	Overrides, ExDates, VEvents                                int
	Bytes                                                      int
}

// me is the calendar's owner (identity.me of the oneonone config). She
// organizes none of the events: every organizer is somebody else, so that
// oneonone recognises her 1:1s but writes no agenda block (an event someone
// else organizes is left alone, counted as "refused").
const me = "anna@example.com"

var firstNames = []string{
	"Bob", "Carla", "David", "Eva", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kim",
	"Lena", "Malik", "Nora", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tara", "Umut",
	"Vera", "Wen", "Ximena", "Yusuf", "Zoe", "Arne", "Bianca", "Cem", "Dana", "Emil",
}

var lastNames = []string{"Berg", "Costa", "Dietz", "Engel", "Fischer", "Gupta", "Hahn", "Ivanova", "Jansen", "Klein"}

var topics = []string{
	"Quarterly planning", "Design review", "Hiring sync", "Budget check-in", "Customer call",
	"Incident review", "Roadmap", "Architecture forum", "Interview", "Sprint demo",
	"Vendor meeting", "Offsite prep", "Security review", "Onboarding", "Retro",
}

// vtimezoneBerlin is the VTIMEZONE clients write for Europe/Berlin.
const vtimezoneBerlin = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nX-LIC-LOCATION:Europe/Berlin\r\n" +
	"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\n" +
	"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n" +
	"BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\n" +
	"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"

type person struct{ name, email string }

func people() []person {
	var out []person
	for i, f := range firstNames {
		l := lastNames[i%len(lastNames)]
		out = append(out, person{f + " " + l, strings.ToLower(f) + "." + strings.ToLower(l) + "@example.com"})
	}
	return out
}

// generateCalendar makes n calendar objects, the same ones for the same n
// and seed: about 6 % recurring 1:1 series of Anna with one colleague
// (weekly, biweekly or monthly, some ended by UNTIL, with moved, cancelled,
// declined and edited occurrences as RECURRENCE-ID overrides in the same
// object, and EXDATEs), 4 % recurring team meetings with a room, and
// one-off meetings for the rest (some of two people, some all-day, some
// cancelled), spread over 2025 and 2026, in Europe/Berlin.
func generateCalendar(n int, seed uint64) ([]calObject, calMix) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		berlin = time.FixedZone("CET", 3600)
	}
	ppl := people()
	anchor := time.Date(2025, 1, 6, 0, 0, 0, 0, berlin) // a Monday
	var mix calMix
	out := make([]calObject, 0, n)
	for i := 0; i < n; i++ {
		uid := fmt.Sprintf("gen-%05d@oneonone.bench", i)
		var b strings.Builder
		b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//oneonone//bench compare//EN\r\nCALSCALE:GREGORIAN\r\n")
		r := rng.Float64()
		switch {
		case r < 0.06:
			mix.OneOnOnes++
			writeOneOnOne(&b, rng, &mix, uid, ppl, anchor)
		case r < 0.10:
			mix.TeamSeries++
			writeTeamSeries(&b, rng, &mix, uid, ppl, anchor)
		default:
			mix.OneOffs++
			writeOneOff(&b, rng, &mix, uid, ppl, anchor)
		}
		b.WriteString("END:VCALENDAR\r\n")
		data := []byte(b.String())
		mix.Bytes += len(data)
		out = append(out, calObject{Name: fmt.Sprintf("gen-%05d.ics", i), Data: data})
	}
	mix.Objects = len(out)
	return out, mix
}

const dtstamp = "DTSTAMP:20250101T090000Z\r\n"

func local(t time.Time) string { return t.Format("20060102T150405") }

func attendee(b *strings.Builder, p person, partstat string) {
	fmt.Fprintf(b, "ATTENDEE;CN=%s;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=%s:mailto:%s\r\n", p.name, partstat, p.email)
}

// foldLine writes one content line folded at 75 octets (RFC 5545 §3.1).
func foldLine(b *strings.Builder, line string) {
	for len(line) > 75 {
		b.WriteString(line[:75] + "\r\n ")
		line = line[75:]
	}
	b.WriteString(line + "\r\n")
}

func writeOneOnOne(b *strings.Builder, rng *rand.Rand, mix *calMix, uid string, ppl []person, anchor time.Time) {
	b.WriteString(vtimezoneBerlin)
	other := ppl[rng.IntN(len(ppl))]
	weeks := rng.IntN(78) // start within 2025 and the first half of 2026
	day := rng.IntN(5)
	hour := 9 + rng.IntN(8)
	minute := []int{0, 30}[rng.IntN(2)]
	start := anchor.AddDate(0, 0, weeks*7+day).Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
	length := []time.Duration{30 * time.Minute, 30 * time.Minute, 45 * time.Minute, time.Hour}[rng.IntN(4)]
	var rule string
	var step func(time.Time, int) time.Time
	switch c := rng.IntN(10); {
	case c < 5:
		rule = "FREQ=WEEKLY;BYDAY=" + []string{"MO", "TU", "WE", "TH", "FR"}[day]
		step = func(t time.Time, k int) time.Time { return t.AddDate(0, 0, 7*k) }
	case c < 8:
		rule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=" + []string{"MO", "TU", "WE", "TH", "FR"}[day]
		step = func(t time.Time, k int) time.Time { return t.AddDate(0, 0, 14*k) }
	default:
		if start.Day() > 28 { // a day every month has
			start = start.AddDate(0, 0, -7)
		}
		rule = "FREQ=MONTHLY"
		step = func(t time.Time, k int) time.Time { return t.AddDate(0, k, 0) }
	}
	slots := 20 + rng.IntN(40)
	if rng.IntN(5) == 0 { // ended: UNTIL after some slots
		end := step(start, slots).Add(-24 * time.Hour)
		rule += ";UNTIL=" + end.UTC().Format("20060102T150405Z")
	}
	titles := []string{"%s / Anna 1:1", "Anna <> %s", "1on1 %s & Anna", "%s - weekly check-in"}
	title := fmt.Sprintf(titles[rng.IntN(len(titles))], strings.Fields(other.name)[0])

	master := func(extra func()) {
		b.WriteString("BEGIN:VEVENT\r\n")
		b.WriteString("UID:" + uid + "\r\n" + dtstamp)
		b.WriteString("DTSTART;TZID=Europe/Berlin:" + local(start) + "\r\n")
		b.WriteString("DTEND;TZID=Europe/Berlin:" + local(start.Add(length)) + "\r\n")
		b.WriteString("RRULE:" + rule + "\r\n")
		extra()
		foldLine(b, "SUMMARY:"+title)
		foldLine(b, "DESCRIPTION:Our running notes: https://docs.example.com/1on1/"+other.email+"\\nBring one win and one blocker.")
		fmt.Fprintf(b, "ORGANIZER;CN=%s:mailto:%s\r\n", other.name, other.email)
		attendee(b, other, "ACCEPTED")
		attendee(b, person{"Anna Schmidt", me}, "ACCEPTED")
		b.WriteString("SEQUENCE:0\r\nSTATUS:CONFIRMED\r\nTRANSP:OPAQUE\r\nEND:VEVENT\r\n")
	}
	// Slots that get an EXDATE or an override: distinct slot numbers.
	used := map[int]bool{}
	pick := func() int {
		for {
			k := 1 + rng.IntN(slots-1)
			if !used[k] {
				used[k] = true
				return k
			}
		}
	}
	var exdates []string
	for j := rng.IntN(3); j > 0; j-- {
		exdates = append(exdates, local(step(start, pick())))
		mix.ExDates++
	}
	master(func() {
		if len(exdates) > 0 {
			b.WriteString("EXDATE;TZID=Europe/Berlin:" + strings.Join(exdates, ",") + "\r\n")
		}
	})
	mix.VEvents++
	for j := rng.IntN(5); j > 0; j-- {
		orig := step(start, pick())
		s, e := orig, orig.Add(length)
		status, partstat, summary := "CONFIRMED", "ACCEPTED", title
		switch rng.IntN(4) {
		case 0: // moved a day later
			s, e = s.AddDate(0, 0, 1), e.AddDate(0, 0, 1)
		case 1: // moved two hours earlier
			s, e = s.Add(-2*time.Hour), e.Add(-2*time.Hour)
		case 2:
			status = "CANCELLED"
		case 3:
			partstat = "DECLINED"
			summary = title + " (declined)"
		}
		b.WriteString("BEGIN:VEVENT\r\nUID:" + uid + "\r\n" + dtstamp)
		b.WriteString("RECURRENCE-ID;TZID=Europe/Berlin:" + local(orig) + "\r\n")
		b.WriteString("DTSTART;TZID=Europe/Berlin:" + local(s) + "\r\n")
		b.WriteString("DTEND;TZID=Europe/Berlin:" + local(e) + "\r\n")
		foldLine(b, "SUMMARY:"+summary)
		fmt.Fprintf(b, "ORGANIZER;CN=%s:mailto:%s\r\n", other.name, other.email)
		attendee(b, other, partstat)
		attendee(b, person{"Anna Schmidt", me}, "ACCEPTED")
		b.WriteString("SEQUENCE:1\r\nSTATUS:" + status + "\r\nEND:VEVENT\r\n")
		mix.Overrides++
		mix.VEvents++
	}
}

func writeTeamSeries(b *strings.Builder, rng *rand.Rand, mix *calMix, uid string, ppl []person, anchor time.Time) {
	b.WriteString(vtimezoneBerlin)
	start := anchor.AddDate(0, 0, rng.IntN(60)*7).Add(time.Duration(9+rng.IntN(3))*time.Hour + 15*time.Minute)
	rule := []string{"FREQ=WEEKLY;BYDAY=MO,WE,FR", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"}[rng.IntN(4)]
	org := ppl[rng.IntN(len(ppl))]
	b.WriteString("BEGIN:VEVENT\r\nUID:" + uid + "\r\n" + dtstamp)
	b.WriteString("DTSTART;TZID=Europe/Berlin:" + local(start) + "\r\n")
	b.WriteString("DTEND;TZID=Europe/Berlin:" + local(start.Add(15*time.Minute+time.Duration(rng.IntN(4))*15*time.Minute)) + "\r\n")
	b.WriteString("RRULE:" + rule + "\r\n")
	foldLine(b, "SUMMARY:"+[]string{"Team stand-up", "Platform sync", "Leads weekly", "Product review"}[rng.IntN(4)])
	b.WriteString("LOCATION:Room Spree\r\n")
	fmt.Fprintf(b, "ORGANIZER;CN=%s:mailto:%s\r\n", org.name, org.email)
	attendee(b, org, "ACCEPTED")
	attendee(b, person{"Anna Schmidt", me}, "ACCEPTED")
	for k := 2 + rng.IntN(7); k > 0; k-- {
		attendee(b, ppl[rng.IntN(len(ppl))], []string{"ACCEPTED", "TENTATIVE", "NEEDS-ACTION"}[rng.IntN(3)])
	}
	b.WriteString("ATTENDEE;CN=Room Spree;CUTYPE=ROOM;PARTSTAT=ACCEPTED:mailto:room-spree@example.com\r\n")
	b.WriteString("SEQUENCE:0\r\nEND:VEVENT\r\n")
	mix.VEvents++
	// Every rule has the Mondays of even weeks from DTSTART (a Monday).
	for j := rng.IntN(3); j > 0; j-- {
		orig := start.AddDate(0, 0, 14*(1+rng.IntN(15)))
		b.WriteString("BEGIN:VEVENT\r\nUID:" + uid + "\r\n" + dtstamp)
		b.WriteString("RECURRENCE-ID;TZID=Europe/Berlin:" + local(orig) + "\r\n")
		b.WriteString("DTSTART;TZID=Europe/Berlin:" + local(orig.Add(time.Hour)) + "\r\n")
		b.WriteString("DTEND;TZID=Europe/Berlin:" + local(orig.Add(90*time.Minute)) + "\r\n")
		b.WriteString("SUMMARY:Team stand-up (moved)\r\n")
		fmt.Fprintf(b, "ORGANIZER;CN=%s:mailto:%s\r\n", org.name, org.email)
		attendee(b, person{"Anna Schmidt", me}, "ACCEPTED")
		b.WriteString("SEQUENCE:1\r\nEND:VEVENT\r\n")
		mix.Overrides++
		mix.VEvents++
	}
}

func writeOneOff(b *strings.Builder, rng *rand.Rand, mix *calMix, uid string, ppl []person, anchor time.Time) {
	day := anchor.AddDate(0, 0, rng.IntN(730))
	org := ppl[rng.IntN(len(ppl))]
	if rng.IntN(20) == 0 {
		mix.AllDay++
		b.WriteString("BEGIN:VEVENT\r\nUID:" + uid + "\r\n" + dtstamp)
		fmt.Fprintf(b, "DTSTART;VALUE=DATE:%s\r\nDTEND;VALUE=DATE:%s\r\n", day.Format("20060102"), day.AddDate(0, 0, 1+rng.IntN(3)).Format("20060102"))
		foldLine(b, "SUMMARY:"+[]string{"Offsite", "Conference", "Public holiday", "Team day"}[rng.IntN(4)])
		b.WriteString("TRANSP:TRANSPARENT\r\nEND:VEVENT\r\n")
		mix.VEvents++
		return
	}
	b.WriteString(vtimezoneBerlin)
	start := day.Add(time.Duration(8+rng.IntN(10))*time.Hour + time.Duration(15*rng.IntN(4))*time.Minute)
	b.WriteString("BEGIN:VEVENT\r\nUID:" + uid + "\r\n" + dtstamp)
	b.WriteString("DTSTART;TZID=Europe/Berlin:" + local(start) + "\r\n")
	b.WriteString("DTEND;TZID=Europe/Berlin:" + local(start.Add(time.Duration(1+rng.IntN(4))*30*time.Minute)) + "\r\n")
	two := rng.IntN(7) == 0 // a meeting of Anna and one other person
	if two {
		foldLine(b, fmt.Sprintf("SUMMARY:Catch-up %s / Anna", strings.Fields(org.name)[0]))
	} else {
		foldLine(b, "SUMMARY:"+topics[rng.IntN(len(topics))])
		foldLine(b, "DESCRIPTION:Agenda: https://docs.example.com/meetings/"+uid+"\\n- status\\n- decisions\\n- next steps")
		b.WriteString("LOCATION:https://meet.example.com/" + strings.Split(uid, "@")[0] + "\r\n")
	}
	fmt.Fprintf(b, "ORGANIZER;CN=%s:mailto:%s\r\n", org.name, org.email)
	attendee(b, org, "ACCEPTED")
	attendee(b, person{"Anna Schmidt", me}, []string{"ACCEPTED", "ACCEPTED", "TENTATIVE", "NEEDS-ACTION"}[rng.IntN(4)])
	if !two {
		for k := 1 + rng.IntN(5); k > 0; k-- {
			attendee(b, ppl[rng.IntN(len(ppl))], "NEEDS-ACTION")
		}
	}
	if rng.IntN(30) == 0 {
		mix.Cancelled++
		b.WriteString("STATUS:CANCELLED\r\n")
	}
	b.WriteString("SEQUENCE:0\r\nEND:VEVENT\r\n")
	mix.VEvents++
}
