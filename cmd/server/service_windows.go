//go:build windows

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// isWindowsService reports whether the service control manager started
// this process (svc.IsWindowsService: the parent is services.exe in
// session 0). Wine runs its services.exe in session 1, so under Wine, and
// only there, a parent named services.exe is enough: CI's smoke test runs
// the service under Wine (ci/wine/run-smoke.sh).
func isWindowsService() bool {
	if ok, err := svc.IsWindowsService(); err == nil && ok {
		return true
	}
	return onWine() && strings.EqualFold(parentImage(), "services.exe")
}

// onWine reports whether this process runs under Wine.
func onWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

// parentImage is the executable name of the parent process, "" if unknown.
func parentImage() string {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return ""
	}
	defer windows.CloseHandle(snap)
	procs := map[uint32]windows.ProcessEntry32{}
	e := windows.ProcessEntry32{Size: uint32(unsafe.Sizeof(windows.ProcessEntry32{}))}
	for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		procs[e.ProcessID] = e
	}
	self, ok := procs[windows.GetCurrentProcessId()]
	if !ok {
		return ""
	}
	parent, ok := procs[self.ParentProcessID]
	if !ok {
		return ""
	}
	return windows.UTF16ToString(parent.ExeFile[:])
}

// runService runs the server as a Windows service until the service
// control manager stops it, and returns the process's exit code.
func runService(args []string) int {
	h := &serviceHandler{args: args}
	// The name is ignored for a service in its own process; Execute learns
	// the real one from its arguments.
	if err := svc.Run(defaultServiceName, h); err != nil {
		if el, err2 := eventlog.Open(defaultServiceName); err2 == nil {
			el.Error(eventIDError, "hvport: the service could not run: "+err.Error())
			el.Close()
		}
		return 1
	}
	return int(h.exitCode)
}

// serviceHandler is the svc.Handler: it runs the server (runWith) with the
// event log as a second log destination.
type serviceHandler struct {
	args     []string // the server flags given to install
	exitCode uint32
}

// Controls the service accepts. Preshutdown comes before the system's
// shutdown and waits up to the preshutdown timeout that install sets
// (stopBudget); Shutdown is kept for systems that send only that.
const acceptedControls = svc.AcceptStop | svc.AcceptShutdown | svc.AcceptPreShutdown

func (h *serviceHandler) Execute(args []string, requests <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	name := defaultServiceName
	if len(args) > 0 && args[0] != "" {
		name = args[0]
	}
	var sink eventSink = discardEvents{}
	if el, err := eventlog.Open(name); err == nil {
		defer el.Close()
		sink = el
	}
	// Loaded here only for the stop budget; runWith loads it again and
	// reports errors.
	cfg, cfgErr := loadConfig(h.args, io.Discard)
	budget := stopBudget(defaultConfig())
	if cfgErr == nil {
		budget = stopBudget(cfg)
	}

	status <- svc.Status{State: svc.StartPending, WaitHint: 60_000}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runWith(ctx, h.args, io.Discard, ready, newEventCore(sink))
	}()

	fail := func(err error) (bool, uint32) {
		sink.Error(eventIDError, fmt.Sprintf("%s stopped: %v", name, err))
		h.exitCode = 1
		return true, 1 // a service-specific exit code: the text is in the event log
	}
	select {
	case <-ready: // the server has logged its address, to the event log too
		status <- svc.Status{State: svc.Running, Accepts: acceptedControls}
	case err := <-done:
		if err == nil {
			err = errors.New("the server ended before it was ready")
		}
		return fail(err)
	}

	for {
		select {
		case err := <-done:
			// The server ended by itself (its listener failed, say).
			if err == nil {
				err = errors.New("the server ended unexpectedly")
			}
			return fail(err)
		case r := <-requests:
			switch r.Cmd {
			case svc.Interrogate:
				status <- r.CurrentStatus
			case svc.Stop, svc.Shutdown, svc.PreShutdown:
				return h.stop(r.Cmd, cancel, done, requests, status, budget, sink)
			}
		}
	}
}

// stopMargin is how long before the end of the stop budget (the
// preshutdown timeout install sets) stop gives up waiting for the server:
// Execute then returns and the service reports STOPPED while Windows still
// waits for it, instead of being cut off at the timeout.
const stopMargin = 5 * time.Second

// stop shuts the server down, reporting progress to the service control
// manager meanwhile, and gives up stopMargin before budget. The server
// drains within shutdown-timeout (drain.go: new jobs refused with 503,
// running Hyper-V jobs detached, not cancelled: Hyper-V finishes them),
// then closes the WMI connection; with the default 20 s that is STOPPED
// by 20 s plus the close, 30 s at the latest, of a 35 s budget.
func (h *serviceHandler) stop(cmd svc.Cmd, cancel context.CancelFunc, done <-chan error, requests <-chan svc.ChangeRequest, status chan<- svc.Status,
	budget time.Duration, sink eventSink) (bool, uint32) {
	giveUp := budget - stopMargin // budget is shutdown-timeout + 15 s (stopBudget)
	hint := uint32(giveUp / time.Millisecond)
	pending := svc.Status{State: svc.StopPending, WaitHint: hint, CheckPoint: 1}
	status <- pending
	cancel()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	deadline := time.After(giveUp)
	for {
		select {
		case err := <-done:
			if err != nil {
				sink.Error(eventIDError, "shutdown: "+err.Error())
				h.exitCode = 1
				return true, 1
			}
			return false, 0
		case r := <-requests:
			// Still answered while stopping; a second stop changes nothing.
			if r.Cmd == svc.Interrogate {
				status <- pending
			}
		case <-tick.C:
			pending.CheckPoint++
			status <- pending
		case <-deadline:
			sink.Warning(eventIDWarning, fmt.Sprintf("the server did not stop within %s after %s; exiting before the preshutdown timeout (%s)", giveUp, cmdName(cmd), budget))
			h.exitCode = 1
			return true, 2
		}
	}
}

func cmdName(c svc.Cmd) string {
	switch c {
	case svc.Stop:
		return "stop"
	case svc.Shutdown:
		return "shutdown"
	case svc.PreShutdown:
		return "preshutdown"
	}
	return fmt.Sprintf("control %d", c)
}

// discardEvents stands in for an event log that could not be opened.
type discardEvents struct{}

func (discardEvents) Info(uint32, string) error    { return nil }
func (discardEvents) Warning(uint32, string) error { return nil }
func (discardEvents) Error(uint32, string) error   { return nil }

// serviceCommand runs install, uninstall, start or stop.
func serviceCommand(ctx context.Context, cmd command, args []string, stdout, stderr io.Writer) error {
	spec, err := parseServiceCommand(cmd, args, stderr)
	if err != nil {
		return err
	}
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connect to the service control manager (run from an elevated prompt): %w", err)
	}
	defer m.Disconnect()
	switch cmd {
	case cmdInstall:
		return installService(m, spec, stdout)
	case cmdUninstall:
		return uninstallService(ctx, m, spec.Name, stdout)
	case cmdStart:
		return startService(ctx, m, spec.Name, stdout)
	case cmdStop:
		return stopService(ctx, m, spec.Name, stdout)
	}
	return fmt.Errorf("unknown service command %q", cmd)
}

func installService(m *mgr.Mgr, spec serviceSpec, stdout io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if exe, err = filepath.Abs(exe); err != nil {
		return err
	}
	if strings.Contains(strings.ToLower(exe), `\go-build`) {
		return fmt.Errorf("%s is a temporary binary of go run; build hvport.exe (go build -o hvport.exe ./cmd/server), put it where it stays, and install from there", exe)
	}
	if s, err := m.OpenService(spec.Name); err == nil {
		s.Close()
		return fmt.Errorf("service %s already exists; to change its flags, uninstall and install again (docs/WINDOWS.md, Upgrade)", spec.Name)
	}
	s, err := m.CreateService(spec.Name, exe, mgr.Config{
		// Display names must be unique too: a second instance (--name)
		// gets its own.
		DisplayName:  spec.Name + " (Hyper-V export and import REST service)",
		Description:  "REST service that exports and imports Hyper-V virtual machines through WMI. See docs/WINDOWS.md.",
		StartType:    mgr.StartAutomatic,
		Dependencies: []string{"Winmgmt"},
	}, spec.Args...)
	if err != nil {
		return fmt.Errorf("create service %s: %w", spec.Name, err)
	}
	defer s.Close()
	undo := func(err error) error {
		s.Delete()
		return err
	}
	var notes []string
	// A delayed start lets vmms and the network come up first. Wine's
	// service manager does not know the setting (ERROR_INVALID_LEVEL);
	// Windows always does.
	if err := setDelayedAutoStart(s); errors.Is(err, windows.ERROR_INVALID_LEVEL) {
		notes = append(notes, "this system does not support a delayed automatic start; the service starts without delay")
	} else if err != nil {
		return undo(fmt.Errorf("set the delayed automatic start: %w", err))
	}
	budget := stopBudget(spec.Config)
	if err := setPreshutdownTimeout(s, budget); err != nil {
		return undo(fmt.Errorf("set the preshutdown timeout: %w", err))
	}
	// Restart after a crash: 5 s, then 30 s, then every minute; the count
	// resets after a day without failures.
	if err := s.SetRecoveryActions([]mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 30 * time.Second},
		{Type: mgr.ServiceRestart, Delay: time.Minute},
	}, 24*60*60); err != nil {
		return undo(fmt.Errorf("set the recovery actions: %w", err))
	}
	if err := eventlog.InstallAsEventCreate(spec.Name, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil {
		// A source left by an earlier install is fine; anything else is not.
		if !strings.Contains(err.Error(), "exists") {
			return undo(fmt.Errorf("register the event log source %s: %w", spec.Name, err))
		}
	}
	for _, n := range notes {
		fmt.Fprintln(stdout, "note:", n)
	}
	fmt.Fprintf(stdout, "installed service %s (automatic start; preshutdown timeout %s)\n  %s %s\nstart it with: %s start", spec.Name, budget, exe, strings.Join(spec.Args, " "), filepath.Base(exe))
	if spec.Name != defaultServiceName {
		fmt.Fprintf(stdout, " --name %s", spec.Name)
	}
	fmt.Fprintln(stdout)
	return nil
}

// setDelayedAutoStart sets SERVICE_DELAYED_AUTO_START_INFO.
func setDelayedAutoStart(s *mgr.Service) error {
	info := windows.SERVICE_DELAYED_AUTO_START_INFO{IsDelayedAutoStartUp: 1}
	return windows.ChangeServiceConfig2(s.Handle, windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO, (*byte)(unsafe.Pointer(&info)))
}

// setPreshutdownTimeout sets SERVICE_PRESHUTDOWN_INFO, which mgr.Config
// does not cover.
func setPreshutdownTimeout(s *mgr.Service, d time.Duration) error {
	info := struct{ timeoutMillis uint32 }{uint32(d / time.Millisecond)}
	return windows.ChangeServiceConfig2(s.Handle, windows.SERVICE_CONFIG_PRESHUTDOWN_INFO, (*byte)(unsafe.Pointer(&info)))
}

func uninstallService(ctx context.Context, m *mgr.Mgr, name string, stdout io.Writer) error {
	s, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("service %s is not installed: %w", name, err)
	}
	defer s.Close()
	if st, err := s.Query(); err == nil && st.State != svc.Stopped {
		if err := stopOpened(ctx, s, name, stdout); err != nil {
			return err
		}
	}
	if err := s.Delete(); err != nil {
		return fmt.Errorf("delete service %s: %w", name, err)
	}
	if err := eventlog.Remove(name); err != nil {
		fmt.Fprintf(stdout, "note: the event log source %s was not removed: %v\n", name, err)
	}
	fmt.Fprintf(stdout, "removed service %s\n", name)
	return nil
}

func startService(ctx context.Context, m *mgr.Mgr, name string, stdout io.Writer) error {
	s, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("service %s is not installed: %w", name, err)
	}
	defer s.Close()
	if err := s.Start(); err != nil {
		return fmt.Errorf("start service %s: %w", name, err)
	}
	st, err := waitState(ctx, s, 90*time.Second, svc.Running, svc.Stopped)
	if err != nil {
		return err
	}
	if st.State != svc.Running {
		return fmt.Errorf("service %s stopped while starting (exit code %d, service-specific %d); the reason is in the Application event log, source %s",
			name, st.Win32ExitCode, st.ServiceSpecificExitCode, name)
	}
	fmt.Fprintf(stdout, "service %s is running (pid %d)\n", name, st.ProcessId)
	return nil
}

func stopService(ctx context.Context, m *mgr.Mgr, name string, stdout io.Writer) error {
	s, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("service %s is not installed: %w", name, err)
	}
	defer s.Close()
	return stopOpened(ctx, s, name, stdout)
}

func stopOpened(ctx context.Context, s *mgr.Service, name string, stdout io.Writer) error {
	st, err := s.Query()
	if err != nil {
		return err
	}
	if st.State == svc.Stopped {
		fmt.Fprintf(stdout, "service %s is not running\n", name)
		return nil
	}
	if st.State != svc.StopPending {
		if _, err := s.Control(svc.Stop); err != nil {
			return fmt.Errorf("stop service %s: %w", name, err)
		}
	}
	// The service's own budget is its shutdown timeout plus a margin; it
	// is not known here, so wait generously.
	if _, err := waitState(ctx, s, 3*time.Minute, svc.Stopped); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "service %s stopped\n", name)
	return nil
}

// waitState polls the service until it reaches one of states.
func waitState(ctx context.Context, s *mgr.Service, limit time.Duration, states ...svc.State) (svc.Status, error) {
	deadline := time.Now().Add(limit)
	for {
		st, err := s.Query()
		if err != nil {
			return st, err
		}
		for _, want := range states {
			if st.State == want {
				return st, nil
			}
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("service still in state %d after %s", st.State, limit)
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}
