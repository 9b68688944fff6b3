package metrics

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/hvport/hvport/wmi"
)

// WMI returns svc measured: every method call by method and return code,
// every read by operation and result, with their latency, and every read
// of a Hyper-V job as a poll with the JobState read. The transport's own
// embedded-instance writer (wmi.InstanceTexter) stays visible.
func (m *Metrics) WMI(svc wmi.Services) wmi.Services {
	if m == nil {
		return svc
	}
	s := &measured{next: svc, m: m, ns: svc.Namespace()}
	if t, ok := svc.(wmi.InstanceTexter); ok {
		return &measuredTexter{measured: s, texter: t}
	}
	return s
}

// measured is a wmi.Services that measures the one it wraps.
type measured struct {
	next wmi.Services
	m    *Metrics
	ns   string
}

var _ wmi.Services = (*measured)(nil)

func (s *measured) Namespace() string { return s.next.Namespace() }

func (s *measured) ExecQuery(ctx context.Context, wql string) ([]*wmi.Object, error) {
	start := time.Now()
	objs, err := s.next.ExecQuery(ctx, wql)
	s.read("ExecQuery", start, err)
	return objs, err
}

func (s *measured) Get(ctx context.Context, path string) (*wmi.Object, error) {
	start := time.Now()
	o, err := s.next.Get(ctx, path)
	s.read("Get", start, err)
	if isJobPath(path) {
		state := "error"
		if err == nil && o != nil {
			state = jobState(uint16(o.Uint("JobState")))
		}
		s.m.hypervJobPolls.WithLabelValues(s.ns, state).Inc()
	}
	return o, err
}

func (s *measured) ExecMethod(ctx context.Context, path, method string, in wmi.Params) (*wmi.Object, error) {
	start := time.Now()
	out, err := s.next.ExecMethod(ctx, path, method, in)
	name := methodName(method)
	s.m.wmiMethodDuration.WithLabelValues(s.ns, name).Observe(time.Since(start).Seconds())
	code := "wmi_error"
	if err == nil && out != nil {
		code = returnCode(wmi.ReturnValue(out))
	}
	s.m.wmiMethodCalls.WithLabelValues(s.ns, name, code).Inc()
	return out, err
}

func (s *measured) read(op string, start time.Time, err error) {
	s.m.wmiQueryDuration.WithLabelValues(s.ns, op).Observe(time.Since(start).Seconds())
	result := "ok"
	switch {
	case wmi.IsNotFound(err):
		result = "not_found"
	case err != nil:
		result = "error"
	}
	s.m.wmiQueries.WithLabelValues(s.ns, op, result).Inc()
}

// measuredTexter is measured for a transport that writes embedded
// instances itself (COM).
type measuredTexter struct {
	*measured
	texter wmi.InstanceTexter
}

var _ wmi.InstanceTexter = (*measuredTexter)(nil)

func (s *measuredTexter) InstanceText(ctx context.Context, o *wmi.Object) (string, error) {
	return s.texter.InstanceText(ctx, o)
}

// isJobPath reports whether path names an instance of a Hyper-V job
// class (Msvm_ConcreteJob, Msvm_StorageJob, …).
func isJobPath(path string) bool {
	p, err := wmi.ParsePath(path)
	return err == nil && len(p.Keys) > 0 && strings.HasSuffix(p.Class, "Job")
}

// jobState names a JobState for a label: the documented names in
// snake case, "other" for any other number.
func jobState(s uint16) string {
	t := wmi.JobStateText(s)
	if strings.HasPrefix(t, "JobState(") {
		return "other"
	}
	return strings.ReplaceAll(strings.ToLower(t), " ", "_")
}

// methodName is a WMI method's name for a label; the driver calls a
// fixed set, and anything that does not look like a method name is
// "other".
func methodName(m string) string {
	if m == "" || len(m) > 64 {
		return "other"
	}
	for i, r := range m {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '_' || i > 0 && r >= '0' && r <= '9') {
			return "other"
		}
	}
	return m
}

// returnCode is a method's ReturnValue for a label: the documented codes
// (CIM's 0-6, 4096 "job started", Hyper-V's 32768-32800) as numbers,
// "other" for anything else.
func returnCode(c uint32) string {
	if c <= 6 || c == wmi.ReturnJobStarted || c >= 32768 && c <= 32800 {
		return strconv.FormatUint(uint64(c), 10)
	}
	return "other"
}
