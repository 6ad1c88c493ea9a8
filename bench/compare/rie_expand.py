#!/usr/bin/python3
"""Expand .ics files with python3-recurring-ical-events, for bench/compare.

    rie_expand.py --from 1990-01-01 --to 2030-01-01 FILE.ics...

For each file, one JSON line on stdout:

    {"file": ..., "seconds": ..., "error": null | "...",
     "occ": [[uid, original_start, start, end, cancelled], ...]}

Every occurrence that recurring_ical_events.of(cal).between(from, to)
returns is listed. original_start is the RECURRENCE-ID when the returned
event has one, else its DTSTART. Times are written in UTC
("2024-09-13T09:00:00Z"); a floating time (or a TZID the library could not
resolve, which it reads as floating) is written as its wall clock without
"Z" ("2024-09-13T09:00:00"), which the comparison reads as UTC, as
`oneonone inspect --tz UTC` reads floating times; a DATE is written as
"2024-09-13". cancelled is true when the event has
STATUS:CANCELLED (the library drops EXDATEs but keeps cancelled overrides).
An all-day override whose RECURRENCE-ID is a DATE-TIME has its
original start written as that DATE-TIME's date in its own zone, which is
how the library matches it to its slot. A VEVENT without UID gets "#N", N counting VEVENTs from 1 in file order,
the name oneonone gives it after the file name.

A file of bare VEVENTs (no VCALENDAR) is read with multiple=True and the
events wrapped in a VCALENDAR, so that the library gets a chance at them.

icalendar 4 caches the VTIMEZONEs of non-IANA TZIDs in a process-wide
dict; the cache is cleared before each file so that a file is read the same
whether it is alone in the process or not.
"""

import argparse
import datetime
import json
import signal
import sys
import time

import icalendar
import icalendar.timezone_cache
import recurring_ical_events

UTC = datetime.timezone.utc


def fmt(v):
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None or v.tzinfo.utcoffset(v) is None:
            return v.strftime("%Y-%m-%dT%H:%M:%S")
        return v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(v, datetime.date):
        return v.strftime("%Y-%m-%d")
    return str(v)


def value(ev, name):
    p = ev.get(name)
    if p is None:
        return None
    if isinstance(p, list):
        p = p[0]
    return getattr(p, "dt", p)


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout("no result within the time limit")


def expand(path, start, stop):
    icalendar.timezone_cache._timezone_cache.clear()
    with open(path, "rb") as f:
        data = f.read()
    try:
        cal = icalendar.Calendar.from_ical(data)
    except ValueError as e:
        if "multiple components" not in str(e):
            raise
        # Bare VEVENTs with no VCALENDAR around them: wrap them in one.
        cal = icalendar.Calendar()
        for c in icalendar.Calendar.from_ical(data, multiple=True):
            cal.add_component(c)
    n = 0
    for ev in cal.walk("VEVENT"):
        n += 1
        if "UID" not in ev:
            ev["UID"] = "#%d" % n
    out = []
    for ev in recurring_ical_events.of(cal).between(start, stop):
        orig = value(ev, "RECURRENCE-ID")
        begin = value(ev, "DTSTART")
        if orig is None:
            orig = begin
        elif isinstance(orig, datetime.datetime) and not isinstance(begin, datetime.datetime):
            # A DATE-TIME RECURRENCE-ID on an all-day occurrence (Exchange):
            # the library matches it to its slot by its date.
            orig = orig.date()
        end = value(ev, "DTEND")
        status = str(ev.get("STATUS", "")).upper()
        out.append([str(ev.get("UID")), fmt(orig), fmt(begin), fmt(end) if end is not None else None,
                    status == "CANCELLED"])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--from", dest="start", required=True)
    ap.add_argument("--to", dest="stop", required=True)
    ap.add_argument("--timeout", type=int, default=60, help="seconds per file")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    start = datetime.datetime.strptime(a.start, "%Y-%m-%d").replace(tzinfo=UTC)
    stop = datetime.datetime.strptime(a.stop, "%Y-%m-%d").replace(tzinfo=UTC)
    signal.signal(signal.SIGALRM, on_alarm)
    for path in a.files:
        t0 = time.perf_counter()
        rec = {"file": path, "error": None, "occ": []}
        signal.alarm(a.timeout)
        try:
            rec["occ"] = expand(path, start, stop)
        except Exception as e:  # every failure is reported, per file
            rec["error"] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
        finally:
            signal.alarm(0)
        rec["seconds"] = time.perf_counter() - t0
        sys.stdout.write(json.dumps(rec) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
