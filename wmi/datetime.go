package wmi

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CIM datetime values are fixed-width strings (DSP0004;
// docs/HYPERV.md#jobs): a timestamp is "yyyymmddHHMMSS.mmmmmmsUUU", where
// s is + or - and UUU the UTC offset in minutes; an interval is "ddddddddHHMMSS.mmmmmm:000".
// Both are 25 characters long and share the '.' at index 14.
const datetimeLen = 25

// FormatDatetime formats t as a CIM timestamp in t's own UTC offset.
// Sub-microsecond precision and the seconds of an offset (only some
// historical zones have them) are truncated. Years outside 0-9999 cannot be
// represented and give a string that ParseDatetime rejects.
func FormatDatetime(t time.Time) string {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%04d%02d%02d%02d%02d%02d.%06d%c%03d",
		t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second(),
		t.Nanosecond()/1000, sign, off/60)
}

// ParseDatetime parses a CIM timestamp. The result carries the string's UTC
// offset as a fixed zone (time.UTC for +000). Wildcard fields ('*') and
// intervals are rejected.
func ParseDatetime(s string) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("CIM datetime %q: %s", s, why)
	}
	if err := checkDatetimeShape(s); err != nil {
		return bad(err.Error())
	}
	if s[21] == ':' {
		return bad("is an interval, not a timestamp (use ParseInterval)")
	}
	if s[21] != '+' && s[21] != '-' {
		return bad("want '+' or '-' before the UTC offset")
	}
	f, err := datetimeFields(s, []int{4, 2, 2, 2, 2, 2, 6, 3})
	if err != nil {
		return bad(err.Error())
	}
	year, month, day, hour, minute, sec, usec, off := f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]
	if s[21] == '-' {
		off = -off
	}
	if month < 1 || month > 12 || hour > 23 || minute > 59 || sec > 59 {
		return bad("field out of range")
	}
	loc := time.UTC
	if off != 0 {
		loc = time.FixedZone("", off*60)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, usec*1000, loc)
	// time.Date normalises February 30 into March; a changed day means the
	// day did not exist.
	if t.Day() != day {
		return bad("no such day")
	}
	return t, nil
}

// FormatInterval formats d as a CIM interval. Sub-microsecond precision is
// truncated; intervals cannot be negative, so a negative d gives the zero
// interval.
func FormatInterval(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	d -= m * time.Minute
	sec := d / time.Second
	d -= sec * time.Second
	return fmt.Sprintf("%08d%02d%02d%02d.%06d:000", int64(days), int64(h), int64(m), int64(sec), int64(d/time.Microsecond))
}

// ParseInterval parses a CIM interval such as "00000000000500.000000:000"
// (5 minutes). Wildcard fields ('*'), timestamps and intervals longer than
// time.Duration can hold (about 106751 days) are rejected.
func ParseInterval(s string) (time.Duration, error) {
	bad := func(why string) (time.Duration, error) {
		return 0, fmt.Errorf("CIM interval %q: %s", s, why)
	}
	if err := checkDatetimeShape(s); err != nil {
		return bad(err.Error())
	}
	if s[21] != ':' || s[22:] != "000" {
		return bad(`want ":000" at the end of an interval`)
	}
	f, err := datetimeFields(s, []int{8, 2, 2, 2, 6})
	if err != nil {
		return bad(err.Error())
	}
	days, h, m, sec, usec := f[0], f[1], f[2], f[3], f[4]
	if h > 23 || m > 59 || sec > 59 {
		return bad("field out of range")
	}
	const maxDays = int(int64(1<<63-1) / int64(24*time.Hour))
	if days >= maxDays {
		return bad("too long for a time.Duration")
	}
	return time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour +
		time.Duration(m)*time.Minute + time.Duration(sec)*time.Second +
		time.Duration(usec)*time.Microsecond, nil
}

// checkDatetimeShape checks what timestamps and intervals share.
func checkDatetimeShape(s string) error {
	if len(s) != datetimeLen {
		return fmt.Errorf("want %d characters, got %d", datetimeLen, len(s))
	}
	if strings.Contains(s, "*") {
		return fmt.Errorf("wildcard fields ('*') are not supported")
	}
	if s[14] != '.' {
		return fmt.Errorf("want '.' at position 14")
	}
	return nil
}

// datetimeFields reads consecutive decimal fields of the given widths,
// skipping the '.' after the seconds and the sign or ':' before the last
// field.
func datetimeFields(s string, widths []int) ([]int, error) {
	out := make([]int, len(widths))
	i := 0
	for k, w := range widths {
		if i == 14 || i == 21 {
			i++
		}
		part := s[i : i+w]
		for _, c := range part {
			if c < '0' || c > '9' {
				return nil, fmt.Errorf("non-digit in %q", part)
			}
		}
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, err
		}
		out[k] = n
		i += w
	}
	return out, nil
}
