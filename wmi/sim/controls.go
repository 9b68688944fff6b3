package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Controls are the simulator's test controls as configuration: what a
// test sets in Options, written in a file (LoadControls) so that a user
// can reproduce a bug — a slow call, a failure now and then, a full disk —
// by starting the simulator with it. The keys are those of the yaml tags;
// durations are Go duration strings ("250ms", "1m30s"); method names are
// those of Options.MethodDelay. A zero field leaves Options as they are
// (Apply).
//
//	random-seed: 42
//	method-delay:  {ExportSystemDefinition: 2s}
//	method-jitter: {ExportSystemDefinition: 1500ms}
//	disk-quota-bytes: 52428800
//	faults:
//	  - {method: ExportSystemDefinition, job-error-code: 32768, at-percent: 40, probability: 0.3}
type Controls struct {
	// MethodDelay is Options.MethodDelay.
	MethodDelay map[string]time.Duration `yaml:"method-delay,omitempty" json:"method-delay,omitempty"`
	// MethodJitter is Options.MethodJitter.
	MethodJitter map[string]time.Duration `yaml:"method-jitter,omitempty" json:"method-jitter,omitempty"`
	// CopyBytesPerSecond is Options.CopyBytesPerSecond.
	CopyBytesPerSecond int64 `yaml:"copy-bytes-per-second,omitempty" json:"copy-bytes-per-second,omitempty"`
	// RandomSeed is Options.RandomSeed.
	RandomSeed int64 `yaml:"random-seed,omitempty" json:"random-seed,omitempty"`
	// DiskQuotaBytes is Options.DiskQuotaBytes.
	DiskQuotaBytes int64 `yaml:"disk-quota-bytes,omitempty" json:"disk-quota-bytes,omitempty"`
	// FullVolumes and DiskFullAfterBytes are those of Options.
	FullVolumes        []string `yaml:"full-volumes,omitempty" json:"full-volumes,omitempty"`
	DiskFullAfterBytes int64    `yaml:"disk-full-after-bytes,omitempty" json:"disk-full-after-bytes,omitempty"`
	// Faults are added to Options.Faults, so the host starts with them.
	Faults []FaultRule `yaml:"faults,omitempty" json:"faults,omitempty"`
	// ExportDirectoryMustExist, when true, sets Options.ExportDirectoryMustExist.
	ExportDirectoryMustExist bool `yaml:"export-directory-must-exist,omitempty" json:"export-directory-must-exist,omitempty"`
}

// LoadControls reads a controls file: YAML (.yaml, .yml) or JSON (.json),
// chosen by the extension, with the keys of Controls. Unknown keys are
// errors that name the key and its line; so are values of the wrong type,
// malformed durations and the checks of Validate.
func LoadControls(path string) (Controls, error) {
	var c Controls
	if err := decodeConfigFile(path, &c); err != nil {
		return Controls{}, err
	}
	if err := c.Validate(); err != nil {
		return Controls{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Validate reports the first value New would refuse: a negative delay,
// jitter, rate, quota or free space, a fault rule that could never fire
// or whose probability, at-percent, count or skip is out of range. It
// does not check method names (New logs a warning for a name no
// simulated class has) nor VM names (a rule may name a VM imported
// later).
func (c Controls) Validate() error {
	if err := checkDurations(c.MethodDelay); err != nil {
		return fmt.Errorf("controls: method-delay: %w", err)
	}
	if err := checkDurations(c.MethodJitter); err != nil {
		return fmt.Errorf("controls: method-jitter: %w", err)
	}
	for _, f := range []struct {
		key string
		v   int64
	}{
		{"copy-bytes-per-second", c.CopyBytesPerSecond},
		{"disk-quota-bytes", c.DiskQuotaBytes},
		{"disk-full-after-bytes", c.DiskFullAfterBytes},
	} {
		if f.v < 0 {
			return fmt.Errorf("controls: %s %d is negative", f.key, f.v)
		}
	}
	for i, dir := range c.FullVolumes {
		if strings.TrimSpace(dir) == "" {
			return fmt.Errorf("controls: full-volumes[%d] is empty", i)
		}
	}
	for i, r := range c.Faults {
		if err := r.check(); err != nil {
			return fmt.Errorf("controls: faults[%d]: %w", i, err)
		}
	}
	return nil
}

// checkDurations reports an empty method name or a negative duration.
func checkDurations(m map[string]time.Duration) error {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if strings.TrimSpace(name) == "" {
			return errors.New("a method name is empty")
		}
		if m[name] < 0 {
			return fmt.Errorf("%s: %v is negative", name, m[name])
		}
	}
	return nil
}

// Apply lays the controls over o: each non-zero field replaces the
// option (a delay or jitter replaces that method's entry only, the other
// entries stay), FullVolumes replaces the list, Faults are appended to
// o.Faults, ExportDirectoryMustExist true sets it. So a server can build
// Options from its own configuration, then Apply a controls file. Apply
// does not validate (LoadControls did; New checks again).
func (c Controls) Apply(o *Options) {
	o.MethodDelay = mergeDurations(o.MethodDelay, c.MethodDelay)
	o.MethodJitter = mergeDurations(o.MethodJitter, c.MethodJitter)
	if c.CopyBytesPerSecond != 0 {
		o.CopyBytesPerSecond = c.CopyBytesPerSecond
	}
	if c.RandomSeed != 0 {
		o.RandomSeed = c.RandomSeed
	}
	if c.DiskQuotaBytes != 0 {
		o.DiskQuotaBytes = c.DiskQuotaBytes
	}
	if len(c.FullVolumes) > 0 {
		o.FullVolumes = append([]string(nil), c.FullVolumes...)
	}
	if c.DiskFullAfterBytes != 0 {
		o.DiskFullAfterBytes = c.DiskFullAfterBytes
	}
	if len(c.Faults) > 0 {
		o.Faults = append(append([]FaultRule(nil), o.Faults...), c.Faults...)
	}
	if c.ExportDirectoryMustExist {
		o.ExportDirectoryMustExist = true
	}
}

// mergeDurations returns a new map with base's entries, then over's
// (replacing a base entry of the same name in any case).
func mergeDurations(base, over map[string]time.Duration) map[string]time.Duration {
	if len(over) == 0 {
		return base
	}
	out := make(map[string]time.Duration, len(base)+len(over))
	for name, d := range base {
		out[name] = d
	}
	for name, d := range over {
		for old := range out {
			if strings.EqualFold(old, name) {
				delete(out, old)
			}
		}
		out[name] = d
	}
	return out
}

// checkControls validates the options of the test controls and copies
// what the caller could change afterwards.
func (o *Options) checkControls() error {
	if err := checkDurations(o.MethodJitter); err != nil {
		return fmt.Errorf("sim: Options.MethodJitter: %w", err)
	}
	jitter := make(map[string]time.Duration, len(o.MethodJitter))
	for name, d := range o.MethodJitter {
		jitter[name] = d
	}
	o.MethodJitter = jitter
	if o.DiskQuotaBytes < 0 {
		return errors.New("sim: Options.DiskQuotaBytes must not be negative")
	}
	if o.DiskFullAfterBytes < 0 {
		return errors.New("sim: Options.DiskFullAfterBytes must not be negative")
	}
	volumes := make([]string, 0, len(o.FullVolumes))
	for i, dir := range o.FullVolumes {
		if strings.TrimSpace(dir) == "" {
			return fmt.Errorf("sim: Options.FullVolumes[%d] is empty", i)
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("sim: Options.FullVolumes[%d]: %w", i, err)
		}
		volumes = append(volumes, abs)
	}
	o.FullVolumes = volumes
	for i, r := range o.Faults {
		if err := r.check(); err != nil {
			return fmt.Errorf("sim: Options.Faults[%d]: %w", i, err)
		}
	}
	o.Faults = append([]FaultRule(nil), o.Faults...)
	return nil
}

// controls is the run-time state of the test controls of one host. It
// lives in Host.opts (Options.ctl), so that the controls need no field in
// Host.
type controls struct {
	seed int64

	jitterMu sync.Mutex
	jitter   *rand.Rand

	// Guarded by Host.mu:
	rules           uint64        // fault rules made so far, numbering their random streams
	optionFaults    []*faultState // Options.Faults, until installed
	faultsInstalled bool

	disk *simDisk
}

// Random streams of a seed: one for jitter, one per fault rule.
const (
	streamJitter    = 1
	streamFaultBase = 1 << 32
)

func newControls(o *Options) *controls {
	c := &controls{seed: o.RandomSeed}
	chosen := c.seed == 0
	if chosen {
		c.seed = time.Now().UnixNano()
		if c.seed == 0 {
			c.seed = 1
		}
	}
	c.jitter = rand.New(rand.NewPCG(uint64(c.seed), streamJitter))
	for _, r := range o.Faults {
		c.optionFaults = append(c.optionFaults, c.newFaultState(r))
	}
	c.disk = newSimDisk(o.DiskQuotaBytes, o.FullVolumes, o.DiskFullAfterBytes)

	log := o.Logger.Named("wmisim").With(zap.String("host", o.HostName))
	random := len(o.MethodJitter) > 0
	for _, r := range o.Faults {
		random = random || r.Probability > 0 && r.Probability < 1
	}
	if chosen && random {
		log.Info("random seed chosen: set RandomSeed (random-seed) to it to repeat this run", zap.Int64("seed", c.seed))
	} else {
		log.Debug("random seed", zap.Int64("seed", c.seed))
	}
	warnUnknown := func(what, method string) {
		if !knownMethodName(method) {
			log.Warn("no simulated class has this method: the control never applies", zap.String("control", what), zap.String("method", method))
		}
	}
	for _, name := range sortedKeys(o.MethodDelay) {
		warnUnknown("method-delay", name)
	}
	for _, name := range sortedKeys(o.MethodJitter) {
		warnUnknown("method-jitter", name)
	}
	for _, r := range o.Faults {
		warnUnknown("faults", r.Method)
	}
	return c
}

func sortedKeys(m map[string]time.Duration) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// knownMethodName tells whether name is ExecQuery, Get or a method a
// class of one of the simulator's namespaces implements.
func knownMethodName(name string) bool {
	if strings.EqualFold(name, "ExecQuery") || strings.EqualFold(name, "Get") {
		return true
	}
	for _, n := range namespaces() {
		for _, c := range n.classes {
			if c.method(name) != nil {
				return true
			}
		}
	}
	return false
}

// newFaultState makes the state of a rule added to the host, its random
// stream numbered in the order rules are made. c may be nil (a Host not
// made by New): the stream then comes from the time of day.
func (c *controls) newFaultState(r FaultRule) *faultState {
	remaining := r.Count
	if remaining == 0 {
		remaining = -1
	}
	f := &faultState{rule: r, remaining: remaining, skip: r.Skip}
	if r.Probability > 0 && r.Probability < 1 {
		seed, n := time.Now().UnixNano(), uint64(0)
		if c != nil {
			seed, n = c.seed, c.rules
		}
		f.rng = rand.New(rand.NewPCG(uint64(seed), streamFaultBase+n))
	}
	if c != nil {
		c.rules++
	}
	return f
}

// jitterFor draws a uniformly random duration in [0, max).
func (c *controls) jitterFor(max time.Duration) time.Duration {
	if c == nil || max <= 0 {
		return 0
	}
	c.jitterMu.Lock()
	defer c.jitterMu.Unlock()
	return time.Duration(c.jitter.Int64N(int64(max)))
}

// RandomSeed is the seed of the host's random source: Options.RandomSeed,
// or the one New chose when that was 0.
func (h *Host) RandomSeed() int64 {
	if h.opts.ctl == nil {
		return 0
	}
	return h.opts.ctl.seed
}

// controlledMethodDelay waits the delay configured for a method:
// Options.MethodDelay plus a draw of Options.MethodJitter. It is the body
// of Host.methodDelay (host.go).
func (h *Host) controlledMethodDelay(ctx context.Context, method string) error {
	d := lookupDuration(h.opts.MethodDelay, method)
	if j := lookupDuration(h.opts.MethodJitter, method); j > 0 {
		d += h.opts.ctl.jitterFor(j)
	}
	if d <= 0 {
		return nil
	}
	return sleep(ctx, h.clock, d)
}

// lookupDuration finds a method's entry: the exact name first, else one
// that differs in case only.
func lookupDuration(m map[string]time.Duration, method string) time.Duration {
	if d, ok := m[method]; ok {
		return d
	}
	for name, d := range m {
		if strings.EqualFold(name, method) {
			return d
		}
	}
	return 0
}
