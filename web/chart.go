package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"oneonone/calendar"
	"oneonone/report"
)

// chartWeeks is how many ISO weeks the pair page's chart shows.
const chartWeeks = 26

// The chart's categories, bottom to top, with the report's colours.
var chartKinds = []struct {
	Label string
	Fill  string
}{
	{"held", "#1a7f37"},
	{"postponed or advanced", "#bf8700"},
	{"skipped", "#cf222e"},
	{"declined", "#bf3989"},
}

// kindOf returns the index in chartKinds of state, -1 for upcoming.
func kindOf(s calendar.State) int {
	switch s {
	case calendar.StateHeld:
		return 0
	case calendar.StatePostponed, calendar.StateAdvanced:
		return 1
	case calendar.StateSkipped:
		return 2
	case calendar.StateDeclined:
		return 3
	}
	return -1
}

// chart is an inline SVG bar chart: one stacked bar per ISO week. Numbers
// are strings in the SVG's user units.
type chart struct {
	Width, Height int
	Label         string // aria-label: what the chart says, in words
	Bars          []chartBar
	Grid          []chartLine
	Ticks         []chartTick
	Axis          chartLine
	Legend        []chartLegend
}

type chartBar struct {
	Week  string
	Title string // the tooltip
	X, W  string
	Top   string // the hover area spans the plot's height
	H     string
	Segs  []chartSeg
}

type chartSeg struct {
	Kind string
	Fill string
	Y, H string
}

type chartLine struct {
	X1, X2, Y string
	Label     string
}

type chartTick struct {
	X, Y  string
	Label string
}

type chartLegend struct {
	Label, Fill string
}

// The chart's geometry, in user units.
const (
	chartW      = 420
	chartH      = 190
	chartLeft   = 26
	chartRight  = 18 // room for the last date label
	chartTop    = 10
	chartBottom = 22
	chartBarW   = 10.0 // bar width; the slot is (chartW-left-right)/weeks
)

func num(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// weekChart counts occ (a pair's occurrences) by the ISO week of their
// original start, for the n weeks that end with last, and lays them out.
func weekChart(occ []calendar.Occurrence, last report.Week, n int, loc *time.Location) chart {
	first := last.Add(-(n - 1))
	index := map[report.Week]int{}
	weeks := make([]report.Week, n)
	for i := range weeks {
		weeks[i] = first.Add(i)
		index[weeks[i]] = i
	}
	counts := make([][4]int, n)
	var total [4]int
	for _, o := range occ {
		i, ok := index[report.WeekOf(o.OriginalStart, loc)]
		k := kindOf(o.State)
		if !ok || k < 0 {
			continue
		}
		counts[i][k]++
		total[k]++
	}
	peak := 0
	for _, c := range counts {
		peak = max(peak, c[0]+c[1]+c[2]+c[3])
	}
	step := 1
	if peak > 4 {
		step = (peak + 3) / 4
	}
	top := max(step, (peak+step-1)/step*step)

	plotH := float64(chartH - chartTop - chartBottom)
	base := float64(chartH - chartBottom)
	slot := float64(chartW-chartLeft-chartRight) / float64(n)
	unit := plotH / float64(top)

	c := chart{
		Width: chartW, Height: chartH,
		Label: fmt.Sprintf("1:1s per week from %s to %s: %s.", weeks[0], weeks[n-1], countsText(total)),
		Axis:  chartLine{X1: num(chartLeft), X2: num(chartW - chartRight), Y: num(base)},
	}
	for _, k := range chartKinds {
		c.Legend = append(c.Legend, chartLegend{Label: k.Label, Fill: k.Fill})
	}
	for v := 0; v <= top; v += step {
		c.Grid = append(c.Grid, chartLine{
			X1: num(chartLeft), X2: num(chartW - chartRight), Y: num(base - float64(v)*unit), Label: strconv.Itoa(v),
		})
	}
	for i, w := range weeks {
		x := chartLeft + float64(i)*slot
		from, to := w.Range(loc)
		b := chartBar{
			Week: w.String(),
			X:    num(x + (slot-chartBarW)/2), W: num(chartBarW),
			Top: num(chartTop), H: num(plotH),
			Title: fmt.Sprintf("%s (%s – %s): %s", w, from.Format("2 Jan"), to.AddDate(0, 0, -1).Format("2 Jan"), countsText(counts[i])),
		}
		y := base
		for k, n := range counts[i] {
			if n == 0 {
				continue
			}
			h := float64(n) * unit
			y -= h
			b.Segs = append(b.Segs, chartSeg{Kind: chartKinds[k].Label, Fill: chartKinds[k].Fill, Y: num(y), H: num(h)})
		}
		c.Bars = append(c.Bars, b)
		if (n-1-i)%4 == 0 {
			c.Ticks = append(c.Ticks, chartTick{X: num(x + slot/2), Y: num(base + 15), Label: from.Format("2 Jan")})
		}
	}
	return c
}

// countsText returns "2 held, 1 skipped" with the categories that have
// any, or "nothing held or missed".
func countsText(c [4]int) string {
	var parts []string
	for k, n := range c {
		if n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+chartKinds[k].Label)
		}
	}
	if len(parts) == 0 {
		return "nothing held or missed"
	}
	return strings.Join(parts, ", ")
}
