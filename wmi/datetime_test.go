package wmi

import (
	"strings"
	"testing"
	"time"
)

func TestFormatDatetime(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.FixedZone("", 60*60)), "20240102030405.123456+060"},
		{time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), "19991231235959.000000+000"},
		{time.Date(2013, 6, 7, 8, 9, 10, 1000, time.FixedZone("", -(7*60+30)*60)), "20130607080910.000001-450"},
		{time.Date(2020, 2, 29, 0, 0, 0, 0, time.FixedZone("", 14*60*60)), "20200229000000.000000+840"},
	} {
		if got := FormatDatetime(tc.t); got != tc.want {
			t.Errorf("FormatDatetime(%v) = %s, want %s", tc.t, got, tc.want)
		}
	}
}

func TestParseDatetime(t *testing.T) {
	got, err := ParseDatetime("20240102030405.123456+060")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2024, 1, 2, 2, 4, 5, 123456000, time.UTC)
	if !got.Equal(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, off := got.Zone(); off != 3600 {
		t.Errorf("offset %d, want 3600", off)
	}
	if got, err := ParseDatetime("20130607080910.000001-450"); err != nil || FormatDatetime(got) != "20130607080910.000001-450" {
		t.Errorf("negative offset: %v, %v", got, err)
	}
	if got, _ := ParseDatetime("19991231235959.000000+000"); got.Location() != time.UTC {
		t.Errorf("+000 should give UTC, got %v", got.Location())
	}
}

func TestDatetimeRoundTrip(t *testing.T) {
	// Zones chosen so that no instant leaves the years 0000-9999.
	zones := []*time.Location{time.FixedZone("", 5*3600+30*60), time.FixedZone("", -8*3600), time.UTC}
	for i, tm := range []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(2024, 2, 29, 12, 30, 0, 500000000, time.UTC),
	} {
		tm = tm.In(zones[i%len(zones)])
		s := FormatDatetime(tm)
		got, err := ParseDatetime(s)
		if err != nil || !got.Equal(tm) || FormatDatetime(got) != s {
			t.Errorf("%v -> %s -> %v, %v", tm, s, got, err)
		}
	}
}

func TestParseDatetimeErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "want 25 characters"},
		{"20240102030405.123456+06", "want 25 characters"},
		{"2024010203****.******+060", "wildcard"},
		{"20240102030405,123456+060", "'.'"},
		{"00000000000500.000000:000", "interval"},
		{"20240102030405.123456 060", "'+' or '-'"},
		{"2024x102030405.123456+060", "non-digit"},
		{"20241302030405.123456+060", "out of range"},
		{"20240102240405.123456+060", "out of range"},
		{"20240102036005.123456+060", "out of range"},
		{"20240102030460.123456+060", "out of range"},
		{"20230229030405.123456+060", "no such day"},
		{"20240100030405.123456+060", "no such day"},
	} {
		_, err := ParseDatetime(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseDatetime(%q) = %v, want error with %q", tc.in, err, tc.want)
		}
	}
}

func TestFormatInterval(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "00000000000000.000000:000"},
		{5 * time.Minute, "00000000000500.000000:000"}, // Msvm_ConcreteJob.TimeBeforeRemoval default
		{36*time.Hour + 2*time.Second + 1500*time.Nanosecond, "00000001120002.000001:000"},
		{1234*24*time.Hour + 23*time.Hour + 59*time.Minute + 59*time.Second + 999999*time.Microsecond, "00001234235959.999999:000"},
		{-time.Second, "00000000000000.000000:000"},
	} {
		if got := FormatInterval(tc.d); got != tc.want {
			t.Errorf("FormatInterval(%v) = %s, want %s", tc.d, got, tc.want)
		}
	}
}

func TestParseInterval(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"00000000000000.000000:000", 0},
		{"00000000000500.000000:000", 5 * time.Minute},
		{"00000001120002.000001:000", 36*time.Hour + 2*time.Second + time.Microsecond},
		{"00106750235959.999999:000", 106750*24*time.Hour + 23*time.Hour + 59*time.Minute + 59*time.Second + 999999*time.Microsecond},
	} {
		got, err := ParseInterval(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseInterval(%s) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if err == nil && FormatInterval(got) != tc.in {
			t.Errorf("FormatInterval(ParseInterval(%s)) = %s", tc.in, FormatInterval(got))
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"0000000000050.000000:000", "want 25 characters"},
		{"00000000000500.000000+000", `":000"`},
		{"00000000000500.000000:001", `":000"`},
		{"20240102030405.123456+060", `":000"`},
		{"********000500.000000:000", "wildcard"},
		{"00000000240000.000000:000", "out of range"},
		{"00000000006000.000000:000", "out of range"},
		{"0000000000050a.000000:000", "non-digit"},
		{"99999999000000.000000:000", "too long"},
	} {
		_, err := ParseInterval(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseInterval(%q) = %v, want error with %q", tc.in, err, tc.want)
		}
	}
}
