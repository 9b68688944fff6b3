package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// settingsPair: GET /v1/vms/{vm}/export-settings one request after the
// other (target 6: p99 ≤ 5 ms on the simulator). No peer: it reports.
func (s *scenario) settingsPair() error {
	n := 200
	if s.c.quick {
		n = 20
	}
	var lat []time.Duration
	for range n {
		t0 := time.Now()
		if _, err := s.api("GET", "/v1/vms/big/export-settings", nil, nil); err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
	}
	fmt.Printf("%-34s %d sequential requests: p50 %s, p99 %s\n\n", "GET export-settings", n, ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99)))
	return nil
}

// load is the result of one HTTP load run.
type load struct {
	requests, errors int64
	lat              []time.Duration
	byPath           map[string][]time.Duration
	elapsed          time.Duration
}

func (l load) rate() float64 { return float64(l.requests) / l.elapsed.Seconds() }

// hammer sends requests from clients concurrent connections for d, each
// client cycling through paths, with the bearer token: one request after
// the other, or, with every > 0, one request every so often (a poller),
// the clients' first requests spread over the first interval.
func hammer(base, token string, paths []string, clients int, d, every time.Duration) load {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var reqs, errs atomic.Int64
	var mu sync.Mutex
	res := load{byPath: map[string][]time.Duration{}}
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	t0 := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			per := map[string][]time.Duration{}
			next := t0
			if every > 0 {
				next = t0.Add(time.Duration(rand.Int64N(int64(every))))
			}
			for i := c; time.Now().Before(stop); i++ {
				if every > 0 {
					time.Sleep(time.Until(next))
					if !time.Now().Before(stop) {
						break
					}
					next = next.Add(every)
					if now := time.Now(); next.Before(now) {
						next = now // late: the next poll waits for no one
					}
				}
				p := paths[i%len(paths)]
				req, _ := http.NewRequest("GET", base+p, nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				s := time.Now()
				resp, err := hc.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("%d", resp.StatusCode)
					}
				}
				el := time.Since(s)
				reqs.Add(1)
				if err != nil {
					errs.Add(1)
					continue
				}
				mine = append(mine, el)
				per[p] = append(per[p], el)
			}
			mu.Lock()
			res.lat = append(res.lat, mine...)
			for k, v := range per {
				res.byPath[k] = append(res.byPath[k], v...)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(t0)
	res.requests, res.errors = reqs.Load(), errs.Load()
	return res
}

// jobsPair: GET /v1/jobs/{id} from 64 connections against a bare
// net/http server sending the same bytes, with the same load generator
// (target 4: ≥ 0.8× the bare server's rate, p99 ≤ 1.5×).
func (s *scenario) jobsPair() error {
	var j job
	if _, err := s.api("POST", "/v1/vms/small/exports", map[string]any{}, &j); err != nil {
		return err
	}
	if _, err := s.waitJob(j.ID); err != nil {
		return err
	}
	req, _ := http.NewRequest("GET", s.base+"/v1/jobs/"+j.ID, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The peer runs in a process of its own, as the server does: in the
	// load generator's process it would share its scheduler, which two
	// processes on two cores do not.
	bodyFile := filepath.Join(s.dir, "job.json")
	if err := os.WriteFile(bodyFile, body, 0o644); err != nil {
		return err
	}
	bare := exec.Command(s.bins.bare, bodyFile)
	bare.Stderr = os.Stderr
	stdout, err := bare.StdoutPipe()
	if err != nil {
		return err
	}
	if err := bare.Start(); err != nil {
		return err
	}
	defer func() { bare.Process.Kill(); bare.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return fmt.Errorf("bareserver: %w", err)
	}
	bareBase := "http://" + strings.TrimSpace(line)
	d := time.Duration(s.c.seconds * float64(time.Second))
	const conns = 64
	var hv, peer []load
	var hvCPU, peerCPU []time.Duration // server CPU per request
	for range s.c.runs {
		c0 := cpuTime(s.cmd.Process.Pid)
		hv = append(hv, hammer(s.base, s.token, []string{"/v1/jobs/" + j.ID}, conns, d, 0))
		hvCPU = append(hvCPU, (cpuTime(s.cmd.Process.Pid)-c0)/time.Duration(max(hv[len(hv)-1].requests, 1)))
		c0 = cpuTime(bare.Process.Pid)
		peer = append(peer, hammer(bareBase, "", []string{"/v1/jobs/" + j.ID}, conns, d, 0))
		peerCPU = append(peerCPU, (cpuTime(bare.Process.Pid)-c0)/time.Duration(max(peer[len(peer)-1].requests, 1)))
	}
	// Pair by pair (each hvport run with the bare run after it): the
	// machine's speed drifts between runs more than the difference.
	rate, p99 := make([]float64, len(hv)), make([]float64, len(hv))
	for i := range hv {
		rate[i] = hv[i].rate() / peer[i].rate()
		p99[i] = float64(percentile(hv[i].lat, 0.99)) / float64(percentile(peer[i].lat, 0.99))
	}
	h, p := best(hv), best(peer)
	fmt.Printf("%-34s %-28s %8.0f req/s  p50 %s  p99 %s  errors %d\n", fmt.Sprintf("GET /v1/jobs/{id}, %d conns", conns), "hvport (token auth on)", h.rate(),
		ms(percentile(h.lat, 0.5)), ms(percentile(h.lat, 0.99)), h.errors)
	fmt.Printf("%-34s %-28s %8.0f req/s  p50 %s  p99 %s  errors %d\n", "", "bare net/http, same bytes", p.rate(),
		ms(percentile(p.lat, 0.5)), ms(percentile(p.lat, 0.99)), p.errors)
	fmt.Printf("%-34s %-28s %8.2f× rate [%.2f … %.2f], %.2f× p99 [%.2f … %.2f]\n\n", "", "ratio hvport/peer, pairwise", medianOf(rate), slices.Min(rate), slices.Max(rate),
		medianOf(p99), slices.Min(p99), slices.Max(p99))
	if hvCPU[0] > 0 {
		fmt.Printf("%-34s %-28s hvport %s, bare %s (medians; the load generator shares the two cores)\n\n", "", "server CPU per request",
			micros(median(hvCPU)), micros(median(peerCPU)))
	}
	return nil
}

// best is the run with the median rate.
func best(runs []load) load {
	s := append([]load(nil), runs...)
	for i := range s {
		for k := i + 1; k < len(s); k++ {
			if s[k].rate() < s[i].rate() {
				s[i], s[k] = s[k], s[i]
			}
		}
	}
	return s[len(s)/2]
}

// loadPair: many clients polling a job and listing VMs while 100 exports
// are submitted (target 5: 0 errors, GET /v1/vms p99 ≤ 100 ms, server RSS
// peak < 64 MiB), for each client count, two ways: clients that poll
// every -poll (1 s: the Retry-After the API gives a new job), the
// target's case; and clients that send one request after the other,
// which measures capacity: there the latency is the queue of N clients
// before a server on shared cores (Little's law: N / throughput).
func (s *scenario) loadPair() error {
	var j job
	if _, err := s.api("POST", "/v1/vms/small/exports", map[string]any{}, &j); err != nil {
		return err
	}
	if _, err := s.waitJob(j.ID); err != nil {
		return err
	}
	d := time.Duration(s.c.seconds * float64(time.Second))
	exports := 100
	if s.c.quick {
		exports = 5
	}
	pid := s.cmd.Process.Pid
	for _, mode := range []struct {
		name  string
		every time.Duration
	}{{fmt.Sprintf("polling every %s", s.c.poll), s.c.poll}, {"back to back", 0}} {
		for _, n := range s.c.clients {
			var wg sync.WaitGroup
			var submitErr error
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range exports {
					var e job
					if _, err := s.api("POST", "/v1/vms/small/exports", map[string]any{}, &e); err != nil && submitErr == nil {
						submitErr = err
					}
				}
			}()
			resetRSSPeak(pid)
			l := hammer(s.base, s.token, []string{"/v1/jobs/" + j.ID, "/v1/vms"}, n, d, mode.every)
			wg.Wait()
			if submitErr != nil {
				return submitErr
			}
			vms := l.byPath["/v1/vms"]
			fmt.Printf("%-34s %s, %d clients, %d exports submitted: %.0f req/s, errors %d, GET /v1/vms p50 %s p99 %s, server RSS peak %s\n",
				"load", mode.name, n, exports, l.rate(), l.errors, ms(percentile(vms, 0.5)), ms(percentile(vms, 0.99)), human(rssPeak(pid)))
			s.drainJobs()
		}
	}
	fmt.Println()
	return s.deleteExports()
}

// drainJobs waits until no job is queued or running.
func (s *scenario) drainJobs() {
	for {
		var l struct{ Items []any }
		s.api("GET", "/v1/jobs?state=queued&limit=1", nil, &l)
		var r struct{ Items []any }
		s.api("GET", "/v1/jobs?state=running&limit=1", nil, &r)
		if len(l.Items) == 0 && len(r.Items) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
