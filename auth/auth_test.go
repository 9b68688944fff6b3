package auth

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/errs"
)

func TestTokenFormatAndEntropy(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		id, tok, err := newToken()
		if err != nil {
			t.Fatal(err)
		}
		gotID, secret, ok := splitToken(tok)
		if !ok || gotID != id || !strings.HasPrefix(tok, "hvp_"+id+"_") || TokenID(tok) != id {
			t.Fatalf("token %q does not split into its id %q", tok, id)
		}
		// 32 random bytes in base32 = 52 characters = 260 bits of text,
		// 256 of randomness (security-anchors T5 asks for ≥ 128).
		if len(secret) != 52 {
			t.Fatalf("secret of %d characters", len(secret))
		}
		if seen[secret] || seen[id] {
			t.Fatal("a repeated id or secret")
		}
		seen[secret], seen[id] = true, true
	}
	for _, bad := range []string{"", "hvp_", "hvp_abc", "hvp_abc_short", "xyz_abc_" + strings.Repeat("a", 52), "hvp__" + strings.Repeat("a", 52)} {
		if _, _, ok := splitToken(bad); ok {
			t.Errorf("%q accepted as a token", bad)
		}
	}
}

func TestStoreKeepsOnlyHashesAndAuthenticates(t *testing.T) {
	path := filepath.Join(t.TempDir(), StoreFile)
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	tk, tok, err := s.Create(CreateRequest{Name: "portal", Role: Operator, VMs: []string{"web-*"}, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	_, secret, _ := splitToken(tok)
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), secret) || !strings.Contains(string(raw), tk.Hash) {
		t.Fatalf("the store file holds the secret or lacks the hash:\n%s", raw)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("store mode %v", fi.Mode().Perm())
	}
	id, err := s.Authenticate(tok)
	if err != nil || id.Kind != KindToken || id.TokenID != tk.ID || id.Name != "portal" || id.Role != Operator || id.Principal() != "token:"+tk.ID {
		t.Fatalf("identity %+v, %v", id, err)
	}
	reason := func(tok string) string {
		_, err := s.Authenticate(tok)
		var ae *AuthError
		if !errors.As(err, &ae) {
			t.Fatalf("%q: %v", tok, err)
		}
		if strings.Contains(ae.Error(), secret) {
			t.Fatal("an error holds the secret")
		}
		return ae.Reason
	}
	if r := reason("hvp_" + tk.ID + "_" + strings.Repeat("a", 52)); r != ReasonMismatch {
		t.Errorf("wrong secret: %s", r)
	}
	if r := reason("hvp_nosuchid_" + secret); r != ReasonUnknown {
		t.Errorf("unknown id: %s", r)
	}
	if r := reason("Bearer " + tok); r != ReasonMalformed {
		t.Errorf("malformed: %s", r)
	}
}

func TestStoreReloadsAnotherWritersChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), StoreFile)
	server, _ := OpenStore(path)
	// Each reading of the server's clock is a recheck interval later: it
	// looks at the file every time (TestStoreSeesAnotherWritersTokens has
	// what happens inside the interval).
	clock := time.Now()
	server.SetClock(func() time.Time { clock = clock.Add(RecheckInterval); return clock })
	cli, _ := OpenStore(path)
	_, tok, err := cli.Create(CreateRequest{Name: "late", Role: Reader})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.Authenticate(tok); err != nil {
		t.Fatalf("a token another writer created: %v", err)
	}
	if _, err := cli.Revoke("late"); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Authenticate(tok); err == nil {
		t.Fatal("a token another writer revoked still works")
	}
	// Names are unique across writers.
	if _, _, err := cli.Create(CreateRequest{Name: "x", Role: Reader}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := server.Create(CreateRequest{Name: "X", Role: Reader}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("a duplicate name across writers: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	s, _ := OpenStore(filepath.Join(t.TempDir(), StoreFile))
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	_, tok, _ := s.Create(CreateRequest{Name: "short", Role: Reader, ExpiresIn: time.Hour})
	if _, err := s.Authenticate(tok); err != nil {
		t.Fatal(err)
	}
	s.SetClock(func() time.Time { return now.Add(time.Hour) })
	var ae *AuthError
	if _, err := s.Authenticate(tok); !errors.As(err, &ae) || ae.Reason != ReasonExpired {
		t.Fatalf("expired token: %v", err)
	}
}

func TestCreateValidation(t *testing.T) {
	s, _ := OpenStore(filepath.Join(t.TempDir(), StoreFile))
	for _, c := range []struct {
		req   CreateRequest
		field string
	}{
		{CreateRequest{Name: "", Role: Reader}, "name"},
		{CreateRequest{Name: "a b", Role: Reader}, "name"},
		{CreateRequest{Name: strings.Repeat("a", 65), Role: Reader}, "name"},
		{CreateRequest{Name: "ok", Role: "root"}, "role"},
		{CreateRequest{Name: "ok", Role: Reader, VMs: []string{"[x"}}, "vms[0]"},
		{CreateRequest{Name: "ok", Role: Reader, ExpiresIn: -time.Second}, "expiresIn"},
	} {
		_, _, err := s.Create(c.req)
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.Invalid || e.Fields[0].Field != c.field {
			t.Errorf("%+v: %v, want Invalid on %s", c.req, err, c.field)
		}
	}
}

func TestBootstrapOnlyOnAnEmptyStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s, _ := OpenStore(filepath.Join(dir, StoreFile))
	file := filepath.Join(dir, AdminTokenFile)
	made, err := s.Bootstrap(file)
	if err != nil || !made {
		t.Fatalf("bootstrap: %v %v", made, err)
	}
	b, _ := os.ReadFile(file)
	id, err := s.Authenticate(strings.TrimSpace(string(b)))
	if err != nil || id.Role != Admin {
		t.Fatalf("the bootstrap token: %+v %v", id, err)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin.token mode %v", fi.Mode().Perm())
	}
	if made, _ := s.Bootstrap(file); made {
		t.Fatal("bootstrap ran twice")
	}
	var f storeFile
	raw, _ := os.ReadFile(filepath.Join(dir, StoreFile))
	json.Unmarshal(raw, &f)
	if len(f.Tokens) != 1 || f.Tokens[0].CreatedBy != "bootstrap" {
		t.Fatalf("tokens = %+v", f.Tokens)
	}
}

func TestRolesAndVMVisibility(t *testing.T) {
	if !Admin.Includes(Operator) || !Operator.Includes(Reader) || Reader.Includes(Operator) || Role("root").Includes(Reader) || Reader.Includes("root") {
		t.Fatal("role order")
	}
	var nobody *Identity
	if nobody.Can(Reader) || nobody.CanSeeVM("x", "y") {
		t.Fatal("a missing identity may do something")
	}
	all := &Identity{Role: Reader}
	web := &Identity{Role: Reader, VMs: []string{"WEB-*", "c0ffee02-0000-4000-8000-000000000003"}}
	for _, c := range []struct {
		id, name string
		want     bool
	}{
		{"", "web-01", true}, {"", "Web-02", true}, {"", "db-01", false},
		{"C0FFEE02-0000-4000-8000-000000000003", "build-agent", true}, {"other", "webby", false},
	} {
		if got := web.CanSeeVM(c.id, c.name); got != c.want {
			t.Errorf("CanSeeVM(%q, %q) = %v", c.id, c.name, got)
		}
		if !all.CanSeeVM(c.id, c.name) {
			t.Errorf("an unlimited identity cannot see %s", c.name)
		}
	}
}

func TestCertIdentity(t *testing.T) {
	rules := []SubjectRule{{Subject: "CN=portal,O=Example", Role: Operator, VMs: []string{"web-*"}}}
	listed := &x509.Certificate{Subject: pkix.Name{CommonName: "portal", Organization: []string{"Example"}}}
	id, err := CertIdentity(rules, listed)
	if err != nil || id.Kind != KindCertificate || id.Role != Operator || id.Principal() != "certificate:CN=portal,O=Example" {
		t.Fatalf("%+v %v", id, err)
	}
	other := &x509.Certificate{Subject: pkix.Name{CommonName: "portal", Organization: []string{"Other"}}}
	if _, err := CertIdentity(rules, other); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("an unlisted subject: %v", err)
	}
}

// Another process's changes to the file (the host's command line): a new
// token works at its first request; a revocation counts once the store's
// last look is RecheckInterval old (an injected clock, not a wait).
func TestStoreSeesAnotherWritersTokens(t *testing.T) {
	path := filepath.Join(t.TempDir(), StoreFile)
	server, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	server.SetClock(func() time.Time { return now })
	host, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	_, first, err := host.Create(CreateRequest{Name: "first", Role: Reader, CreatedBy: "host"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.Authenticate(first); err != nil {
		t.Fatalf("a token the host just created: %v", err)
	}
	_, second, err := host.Create(CreateRequest{Name: "second", Role: Reader, CreatedBy: "host"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.Authenticate(second); err != nil {
		t.Fatalf("a second token, inside the recheck interval: %v", err)
	}
	if _, err := host.Revoke("first"); err != nil {
		t.Fatal(err)
	}
	// The server looked at the file for "second" a moment ago (same
	// clock reading): its table stands for RecheckInterval.
	if _, err := server.Authenticate(first); err != nil {
		t.Fatalf("inside the interval the last look stands: %v", err)
	}
	now = now.Add(RecheckInterval)
	var ae *AuthError
	if _, err := server.Authenticate(first); !errors.As(err, &ae) || ae.Reason != ReasonUnknown {
		t.Fatalf("revoked on the host, %v later: %v", RecheckInterval, err)
	}
	if _, err := server.Authenticate(second); err != nil {
		t.Fatalf("the other token: %v", err)
	}
	// A revocation through this store (the API) counts at once.
	if _, err := server.Revoke("second"); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Authenticate(second); err == nil {
		t.Fatal("revoked through the server's own store, still accepted")
	}
}
