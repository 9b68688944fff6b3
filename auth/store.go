package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/internal/secfile"
)

// File names in the data directory.
const (
	StoreFile      = "tokens.json" // the tokens, as hashes
	AdminTokenFile = "admin.token" // the first admin token, written once at first start
)

// Token is a stored token: everything but the secret.
type Token struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      Role       `json:"role"`
	VMs       []string   `json:"vms,omitempty"`
	Hash      string     `json:"sha256"` // of the secret part
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	CreatedBy string     `json:"createdBy,omitempty"` // a Principal, or "host" for the command line
	// Grant limits a token of role Grant to one export (grant.go).
	Grant *GrantScope `json:"grant,omitempty"`
}

// IsGrant reports whether the token is an export grant.
func (t Token) IsGrant() bool { return t.Role == Grant }

// Expired reports whether the token has expired at now.
func (t Token) Expired(now time.Time) bool { return t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) }

type storeFile struct {
	Version int     `json:"version"`
	Tokens  []Token `json:"tokens"`
}

// Store keeps the tokens in one file that the server and the host's
// command line (hvport token …) both write. The server re-reads the file
// whenever it changed, so a token created or revoked on the host counts
// at the next request, without a restart.
type Store struct {
	path string
	now  func() time.Time

	mu     sync.Mutex
	tokens []Token     // guarded by mu
	seen   os.FileInfo // guarded by mu; the file as last read (nil: missing)
	// table is tokens and seen as of the last read or write, for
	// Authenticate to read without the lock: every request checks a
	// token, and a lock held across a stat serialised them.
	table atomic.Pointer[tokenTable]
	// checked is when the file was last found unchanged (UnixNano of
	// s.now()); within RecheckInterval of it the table is used as it is.
	checked atomic.Int64
}

// RecheckInterval is how long the store trusts its last look at the file
// when a token it knows is presented: a revocation by the host's command
// line counts within it. A stat costs about 1.2 µs here (a path walk), a
// tenth of a poll's time in the server: under load, one stat serves the
// polls of a millisecond. An unknown or wrong token makes the store look
// at once, so a token created on the host works at its first request.
const RecheckInterval = time.Millisecond

// current returns the tokens as of the file now: looked at again when
// force is set or the last look is older than RecheckInterval.
func (s *Store) current(force bool) (*tokenTable, error) {
	tab := s.table.Load()
	now := s.now().UnixNano()
	if last := s.checked.Load(); !force && tab != nil && now >= last && now-last < int64(RecheckInterval) {
		return tab, nil
	}
	fi, statErr := os.Stat(s.path)
	if statErr != nil || tab == nil || !unchanged(fi, tab.seen) {
		s.mu.Lock()
		err := s.reloadLocked(false)
		tab = s.table.Load()
		s.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	s.checked.Store(now)
	return tab, nil
}

// tokenTable is an immutable copy of the store's tokens, by id.
type tokenTable struct {
	seen os.FileInfo
	byID map[string]Token
}

// publishLocked makes the tokens as they are now what Authenticate reads.
func (s *Store) publishLocked() {
	m := make(map[string]Token, len(s.tokens))
	for _, t := range s.tokens {
		if _, dup := m[t.ID]; !dup { // a hand-edited duplicate: the first counts, as it did
			m[t.ID] = t
		}
	}
	s.table.Store(&tokenTable{seen: s.seen, byID: m})
}

// unchanged reports whether fi is the file last read or written: same
// file (a rename of a new one is another), same time and size.
func unchanged(fi, seen os.FileInfo) bool {
	return seen != nil && os.SameFile(fi, seen) && fi.ModTime().Equal(seen.ModTime()) && fi.Size() == seen.Size()
}

// OpenStore reads path (a missing file is an empty store) and refuses a
// file that others can read.
func OpenStore(path string) (*Store, error) {
	s := &Store{path: path, now: time.Now}
	if err := secfile.CheckPrivate(path); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(true); err != nil {
		return nil, err
	}
	return s, nil
}

// SetClock replaces the store's clock (tests).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// reloadLocked re-reads the file when it is not the one last read.
func (s *Store) reloadLocked(force bool) error {
	fi, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.tokens, s.seen = nil, nil
		s.publishLocked()
		return nil
	} else if err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	if !force && unchanged(fi, s.seen) {
		return nil
	}
	b, err := os.ReadFile(s.path)
	if err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	var f storeFile
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("tokens: %s is not a token file: %w", s.path, err)
	}
	if f.Version != 1 {
		return fmt.Errorf("tokens: %s has version %d, this server reads version 1", s.path, f.Version)
	}
	s.tokens, s.seen = f.Tokens, fi
	s.publishLocked()
	return nil
}

func (s *Store) saveLocked() error {
	b, err := json.MarshalIndent(storeFile{Version: 1, Tokens: s.tokens}, "", "  ")
	if err != nil {
		return err
	}
	if err := secfile.WritePrivate(s.path, append(b, '\n')); err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	s.seen = fi
	s.publishLocked()
	return nil
}

// CreateRequest describes a token to create.
type CreateRequest struct {
	Name      string
	Role      Role
	VMs       []string
	ExpiresIn time.Duration // 0 = never
	CreatedBy string
}

// maxNameLen bounds token names (they appear in lists and audit lines).
const maxNameLen = 64

func validName(n string) bool {
	if n == "" || len(n) > maxNameLen {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Create adds a token and returns it with its secret, which is never
// stored and cannot be shown again.
func (s *Store) Create(req CreateRequest) (Token, string, error) {
	var bad []errs.FieldError
	if !validName(req.Name) {
		bad = append(bad, errs.FieldError{Field: "name", Reason: fmt.Sprintf("1 to %d characters from A-Z, a-z, 0-9, '-', '_', '.'", maxNameLen)})
	}
	if _, ok := roleRank[req.Role]; !ok || req.Role == Grant {
		bad = append(bad, errs.FieldError{Field: "role", Reason: fmt.Sprintf("unknown role %q", req.Role), Allowed: RoleNames()})
	}
	for i, p := range req.VMs {
		if !ValidVMPattern(p) {
			bad = append(bad, errs.FieldError{Field: fmt.Sprintf("vms[%d]", i), Reason: fmt.Sprintf("%q is not a VM name glob or id", p)})
		}
	}
	if req.ExpiresIn < 0 {
		bad = append(bad, errs.FieldError{Field: "expiresIn", Reason: "must not be negative"})
	}
	if len(bad) > 0 {
		return Token{}, "", &errs.Error{Kind: errs.Invalid, Msg: "invalid token request", Fields: bad}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(false); err != nil {
		return Token{}, "", err
	}
	for _, t := range s.tokens {
		if strings.EqualFold(t.Name, req.Name) {
			return Token{}, "", errs.E(errs.Conflict, "a token named %q exists; revoke it first or choose another name", req.Name)
		}
	}
	id, tok, err := newToken()
	if err != nil {
		return Token{}, "", err
	}
	_, secret, _ := splitToken(tok)
	t := Token{ID: id, Name: req.Name, Role: req.Role, VMs: append([]string(nil), req.VMs...), Hash: hashSecret(secret),
		CreatedAt: s.now().UTC().Truncate(time.Second), CreatedBy: req.CreatedBy}
	if req.ExpiresIn > 0 {
		exp := t.CreatedAt.Add(req.ExpiresIn)
		t.ExpiresAt = &exp
	}
	s.tokens = append(s.tokens, t)
	if err := s.saveLocked(); err != nil {
		s.tokens = s.tokens[:len(s.tokens)-1]
		return Token{}, "", err
	}
	return t, tok, nil
}

// List returns the tokens by name, without secrets (they are not kept).
// Export grants are not tokens of this list: Grants lists them by export.
func (s *Store) List() ([]Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(false); err != nil {
		return nil, err
	}
	var out []Token
	for _, t := range s.tokens {
		if !t.IsGrant() {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Revoke removes the token with this name (or id). Export grants are
// revoked through RevokeGrant.
func (s *Store) Revoke(nameOrID string) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(false); err != nil {
		return Token{}, err
	}
	for i, t := range s.tokens {
		if !t.IsGrant() && (strings.EqualFold(t.Name, nameOrID) || t.ID == nameOrID) {
			s.tokens = append(s.tokens[:i:i], s.tokens[i+1:]...)
			if err := s.saveLocked(); err != nil {
				return Token{}, err
			}
			return t, nil
		}
	}
	return Token{}, errs.E(errs.NotFound, "no token named %q", nameOrID)
}

// Why authentication failed; for audit lines and logs, never for clients
// (a client learns only that its credentials are not valid).
const (
	ReasonMissing   = "missing"   // no Authorization header
	ReasonMalformed = "malformed" // not "Bearer hvp_<id>_<secret>"
	ReasonUnknown   = "unknown"   // no token with that id (or revoked)
	ReasonMismatch  = "mismatch"  // the id exists, the secret is wrong
	ReasonExpired   = "expired"
)

// AuthError is an authentication failure with its reason.
type AuthError struct {
	Reason  string
	TokenID string // the presented token's id, when it had one
}

func (e *AuthError) Error() string { return "authentication failed: " + e.Reason }

// Authenticate checks a presented token string.
func (s *Store) Authenticate(tok string) (*Identity, error) {
	id, secret, ok := splitToken(tok)
	if !ok {
		return nil, &AuthError{Reason: ReasonMalformed}
	}
	tab, err := s.current(false)
	if err != nil {
		return nil, err
	}
	t, known := tab.byID[id]
	if !known || !secretMatches(secret, t.Hash) {
		// A token the host's command line created a moment ago is
		// accepted at once: look at the file before refusing.
		if tab, err = s.current(true); err != nil {
			return nil, err
		}
		t, known = tab.byID[id]
	}
	if known {
		if !secretMatches(secret, t.Hash) {
			return nil, &AuthError{Reason: ReasonMismatch, TokenID: id}
		}
		if t.Expired(s.now()) {
			return nil, &AuthError{Reason: ReasonExpired, TokenID: id}
		}
		idt := &Identity{Kind: KindToken, TokenID: t.ID, Name: t.Name, Role: t.Role, VMs: append([]string(nil), t.VMs...)}
		if t.IsGrant() {
			// A grant without its export (a hand-edited file) reaches nothing.
			if t.Grant == nil || t.Grant.Export == "" {
				return nil, &AuthError{Reason: ReasonUnknown, TokenID: id}
			}
			g := *t.Grant
			idt.Grant, idt.VMs = &g, nil
		}
		return idt, nil
	}
	return nil, &AuthError{Reason: ReasonUnknown, TokenID: id}
}

// Bootstrap creates the first admin token when the store has no token at
// all (a fresh data directory) and writes it to tokenFile for the host's
// administrator to read (owner-only). It reports whether it did.
func (s *Store) Bootstrap(tokenFile string) (bool, error) {
	s.mu.Lock()
	n := len(s.tokens)
	s.mu.Unlock()
	if n > 0 {
		return false, nil
	}
	// A fresh data directory is made private; an existing one is left as
	// its administrator set it up (it may hold export roots Hyper-V writes).
	if dir := filepath.Dir(tokenFile); !exists(dir) {
		if err := secfile.MkdirPrivate(dir); err != nil {
			return false, err
		}
	}
	_, tok, err := s.Create(CreateRequest{Name: "admin", Role: Admin, CreatedBy: "bootstrap"})
	if err != nil {
		return false, err
	}
	if err := secfile.WritePrivate(tokenFile, []byte(tok+"\n")); err != nil {
		return false, fmt.Errorf("admin token: %w", err)
	}
	return true, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
