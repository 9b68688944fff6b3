// Package dirlock makes a data directory one process's: two hvport servers
// on the same directory would both sweep and publish exports, both write
// the job store and both run the simulated host, each undoing the other.
// The lock is an OS-level lock on <dir>/hvport.lock (flock on Unix,
// LockFileEx on Windows), so it is released when the process dies, even by
// SIGKILL; the file's content only names the holder for the message.
package dirlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FileName is the lock file in the data directory.
const FileName = "hvport.lock"

// ErrHeld is the error when another process holds the lock.
var ErrHeld = errors.New("the data directory is in use")

// Lock is a held lock.
type Lock struct{ f *os.File }

// Acquire locks dir (creating it if needed) for this process, or fails
// with an error wrapping ErrHeld that names the holder.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	if err := lockFile(f); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		who := strings.TrimSpace(string(holder))
		if who == "" {
			who = "another process"
		}
		return nil, fmt.Errorf("%w: %s holds %s; stop that server or give this one another --data-dir: %w", ErrHeld, who, path, err)
	}
	host, _ := os.Hostname()
	holder := fmt.Sprintf("hvport server pid %d on %s since %s", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(holder+"\n"), 0)
		f.Sync()
	}
	return &Lock{f: f}, nil
}

// Release gives the directory up.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
