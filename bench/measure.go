package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// side is one side of a pair: prepare (untimed) then do (timed).
type side struct {
	name    string
	prepare func(run int) error
	do      func(run int) error
}

// pair runs hvport and the peer alternately c.runs times each and prints
// both sides' median, min and max, and the ratio: the median of the
// ratios pair by pair (hvport's run over the peer's run next to it), with
// their min and max, which holds when the machine's speed drifts over a
// run as a shared virtual machine's does.
func (s *scenario) pair(title string, hv, peer side) error {
	var a, b []time.Duration
	for run := 0; run < s.c.runs; run++ {
		for _, x := range []struct {
			sd  side
			out *[]time.Duration
		}{{hv, &a}, {peer, &b}} {
			if x.sd.prepare != nil {
				if err := x.sd.prepare(run); err != nil {
					return fmt.Errorf("%s (%s): %w", title, x.sd.name, err)
				}
			}
			// Each side starts with no dirty pages of the previous one
			// waiting to be written: otherwise its fsync pays for them.
			sh("sync")
			t0 := time.Now()
			if err := x.sd.do(run); err != nil {
				return fmt.Errorf("%s (%s): %w", title, x.sd.name, err)
			}
			*x.out = append(*x.out, time.Since(t0))
		}
	}
	ma, mb := median(a), median(b)
	fmt.Printf("%-34s %-28s %8s  [%s … %s]\n", title, hv.name, secs(ma), secs(slices.Min(a)), secs(slices.Max(a)))
	fmt.Printf("%-34s %-28s %8s  [%s … %s]\n", "", peer.name, secs(mb), secs(slices.Min(b)), secs(slices.Max(b)))
	r := make([]float64, len(a))
	for i := range a {
		r[i] = float64(a[i]) / float64(b[i])
	}
	fmt.Printf("%-34s %-28s %8s  [%.2f … %.2f]\n\n", "", "ratio hvport/peer, pairwise", fmt.Sprintf("%.2f×", medianOf(r)), slices.Min(r), slices.Max(r))
	return nil
}

// medianOf is the median of xs (the upper one of an even count).
func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p)
	return s[i]
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func human(n int64) string {
	const u = 1024
	switch {
	case n >= u*u*u:
		return fmt.Sprintf("%.2f GiB", float64(n)/(u*u*u))
	case n >= u*u:
		return fmt.Sprintf("%.1f MiB", float64(n)/(u*u))
	}
	return fmt.Sprintf("%d B", n)
}

// sh runs a shell command (the peers are command lines).
func sh(cmd string) error {
	out, err := exec.Command("sh", "-c", cmd).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", cmd, err, out)
	}
	return nil
}

func printMachine() {
	model := ""
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	fmt.Printf("# hvport bench — %s, %d CPUs (%s), %s\n", runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), model, runtime.Version())
}

// rssPeak is a process's peak resident set (VmHWM), in bytes; 0 when
// the platform does not say.
func rssPeak(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}

// resetRSSPeak starts a new peak for rssPeak (Linux: writing 5 to
// clear_refs resets VmHWM to the current RSS), so that each run reports
// its own peak rather than the process's.
func resetRSSPeak(pid int) {
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

func micros(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d.Nanoseconds())/1000) }

// cpuTime is a process's user + system CPU time so far (Linux:
// /proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s); 0 where
// it cannot be read.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count from its ")".
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	var utime, stime int64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
