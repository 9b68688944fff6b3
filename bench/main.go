// Command bench measures hvport against public tools doing the same work,
// side by side in one run on one machine (issue #14): each pair runs
// alternately — hvport, the peer, hvport, … — and prints the median, the
// minimum and the maximum of each and their ratio. It builds what it needs
// and makes its own data (a simulated host whose VM has one large sparse
// VHDX), so anyone can run it from a clean clone:
//
//	go run ./bench                      # every pair, 2 GiB of data, 5 runs each
//	go run ./bench -data 0.5,2,4 -runs 3
//	go run ./bench -only copy,jobs
//	go run ./bench -quick               # a smoke run of every pair in seconds (CI)
//
// The peers: cp --sparse=always and sync (coreutils), openssl dgst -sha256,
// a bare net/http server, and this program's own HTTP load generator for
// both sides of a load pair. docs/BENCHMARKS.md has what each pair
// measures and the latest figures. Nothing here asserts a time: it
// reports.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

type config struct {
	work    string    // scratch directory
	runs    int       // alternations per pair
	data    []float64 // GiB of data in the big disk, one scenario each
	virtual float64   // GiB, the disk's virtual size
	only    []string
	quick   bool
	clients []int // for the load pair
	seconds float64
	poll    time.Duration // a polling client's interval, the load pair
	phases  bool          // print each job's phases with their start times
}

func main() {
	var c config
	var data, only, clients string
	flag.StringVar(&c.work, "work", "", "scratch directory (default: a new one under $TMPDIR, removed after)")
	flag.IntVar(&c.runs, "runs", 5, "runs of each side of a pair, alternating")
	flag.StringVar(&data, "data", "2", "GiB of data in the VM's disk, comma-separated for several scenarios")
	flag.Float64Var(&c.virtual, "virtual", 40, "GiB, the disk's virtual size")
	flag.StringVar(&only, "only", "", "pairs to run: copy, export, import, jobs, settings, load (default all)")
	flag.StringVar(&clients, "clients", "10,100,1000", "concurrent clients of the load pair")
	flag.Float64Var(&c.seconds, "seconds", 10, "duration of each HTTP load run")
	flag.DurationVar(&c.poll, "poll", time.Second, "how often a polling client of the load pair asks")
	flag.BoolVar(&c.quick, "quick", false, "a smoke run: tiny data, one run, short loads")
	flag.BoolVar(&c.phases, "phases", false, "print when each phase of an export or import began")
	flag.Parse()
	for _, s := range strings.Split(data, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || f <= 0 {
			fail("-data %q: want GiB as numbers", data)
		}
		c.data = append(c.data, f)
	}
	for _, s := range strings.Split(clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fail("-clients %q: want numbers", clients)
		}
		c.clients = append(c.clients, n)
	}
	if only != "" {
		c.only = strings.Split(only, ",")
	}
	if c.quick {
		c.runs, c.data, c.virtual, c.seconds, c.clients = 1, []float64{1.0 / 64}, 1, 1, []int{10, 100}
	}
	if c.work == "" {
		dir, err := os.MkdirTemp("", "hvport-bench-")
		if err != nil {
			fail("%v", err)
		}
		defer os.RemoveAll(dir)
		c.work = dir
	}
	if err := run(c); err != nil {
		fail("%v", err)
	}
}

func (c config) wants(pair string) bool { return len(c.only) == 0 || slices.Contains(c.only, pair) }

func run(c config) error {
	printMachine()
	bins, err := build(filepath.Join(c.work, "bin"))
	if err != nil {
		return err
	}
	for _, gib := range c.data {
		fmt.Printf("\n## %s of data in a %s disk\n\n", human(int64(gib*(1<<30))), human(int64(c.virtual*(1<<30))))
		s, err := startScenario(c, bins, gib)
		if err != nil {
			return err
		}
		err = s.pairs()
		s.stop()
		if err != nil {
			return err
		}
		// The next scenario starts on an empty scratch directory: the
		// imports' copies add up (on tmpfs, in memory).
		if err := os.RemoveAll(s.dir); err != nil {
			return err
		}
	}
	return nil
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}
