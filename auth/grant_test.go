package auth

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/errs"
)

func TestGrantIsAScopedExpiringToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), StoreFile)
	s, _ := OpenStore(path)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	g, tok, err := s.CreateGrant(GrantRequest{Export: "exp-1", DeleteExport: true, ExpiresIn: time.Hour, CreatedBy: "token:abc"})
	if err != nil {
		t.Fatal(err)
	}
	if g.Role != Grant || g.Grant == nil || g.Grant.Export != "exp-1" || !g.Grant.DeleteExport || g.ExpiresAt == nil || !g.ExpiresAt.Equal(now.Add(time.Hour)) ||
		!strings.HasPrefix(tok, "hvp_"+g.ID+"_") || g.CreatedBy != "token:abc" {
		t.Fatalf("grant %+v, token %q", g, tok)
	}
	_, secret, _ := splitToken(tok)
	if raw, _ := os.ReadFile(path); strings.Contains(string(raw), secret) || !strings.Contains(string(raw), g.Hash) {
		t.Fatalf("tokens.json holds the secret or lacks the hash:\n%s", raw)
	}
	id, err := s.Authenticate(tok)
	if err != nil || id.Role != Grant || id.Grant == nil || id.Grant.Export != "exp-1" || !id.Grant.DeleteExport || id.TokenID != g.ID {
		t.Fatalf("identity %+v, %v", id, err)
	}
	if id.Can(Reader) || !id.Can(Grant) || !Reader.Includes(Grant) || Grant.Includes(Reader) {
		t.Fatal("a grant is not below reader")
	}
	s.SetClock(func() time.Time { return now.Add(time.Hour) })
	var ae *AuthError
	if _, err := s.Authenticate(tok); !errors.As(err, &ae) || ae.Reason != ReasonExpired {
		t.Fatalf("an expired grant: %v", err)
	}
}

func TestGrantLifetimeIsBounded(t *testing.T) {
	s, _ := OpenStore(filepath.Join(t.TempDir(), StoreFile))
	for _, ttl := range []time.Duration{0, -time.Second, MaxGrantLifetime + time.Second} {
		_, _, err := s.CreateGrant(GrantRequest{Export: "x", ExpiresIn: ttl})
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.Invalid || e.Fields[0].Field != "expiresIn" {
			t.Errorf("ttl %v: %v", ttl, err)
		}
	}
	if _, _, err := s.CreateGrant(GrantRequest{Export: "x", ExpiresIn: MaxGrantLifetime}); err != nil {
		t.Fatalf("the longest grant: %v", err)
	}
}

// Grants are not tokens of the token list, cannot be made or revoked by
// name as tokens, and the role cannot be given to a token or subject.
func TestGrantsStayOutOfTheTokenAPI(t *testing.T) {
	s, _ := OpenStore(filepath.Join(t.TempDir(), StoreFile))
	s.Create(CreateRequest{Name: "plain", Role: Reader})
	g, _, err := s.CreateGrant(GrantRequest{Export: "x", ExpiresIn: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	list, _ := s.List()
	if len(list) != 1 || list[0].Name != "plain" {
		t.Fatalf("List = %+v", list)
	}
	if _, err := s.Revoke(g.Name); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Revoke of a grant by name: %v", err)
	}
	if _, err := s.Revoke(g.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Revoke of a grant by id: %v", err)
	}
	if _, ok := ParseRole("grant"); ok {
		t.Fatal("ParseRole accepts grant")
	}
	if _, _, err := s.Create(CreateRequest{Name: "sneaky", Role: Grant}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("a token of role grant without an export: %v", err)
	}
}

func TestRevokeGrantOnlyOfItsExport(t *testing.T) {
	s, _ := OpenStore(filepath.Join(t.TempDir(), StoreFile))
	a, tokA, _ := s.CreateGrant(GrantRequest{Export: "exp-a", ExpiresIn: time.Hour})
	_, tokB, _ := s.CreateGrant(GrantRequest{Export: "exp-b", ExpiresIn: time.Hour})
	_, tokB2, _ := s.CreateGrant(GrantRequest{Export: "exp-b", ExpiresIn: time.Hour})
	if _, err := s.RevokeGrant("exp-b", a.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("revoking exp-a's grant through exp-b: %v", err)
	}
	if gs, _ := s.Grants("exp-b"); len(gs) != 2 {
		t.Fatalf("Grants(exp-b) = %+v", gs)
	}
	if _, err := s.RevokeGrant("EXP-A", a.ID); err != nil {
		t.Fatal(err)
	}
	var ae *AuthError
	if _, err := s.Authenticate(tokA); !errors.As(err, &ae) || ae.Reason != ReasonUnknown {
		t.Fatalf("a revoked grant: %v", err)
	}
	gone, err := s.RevokeGrants("exp-b")
	if err != nil || len(gone) != 2 {
		t.Fatalf("RevokeGrants = %+v, %v", gone, err)
	}
	for _, tok := range []string{tokB, tokB2} {
		if _, err := s.Authenticate(tok); err == nil {
			t.Fatal("a grant of a deleted export still works")
		}
	}
}

func TestExpiredGrantsAreRemovedByTheNextOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), StoreFile)
	s, _ := OpenStore(path)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	old, _, _ := s.CreateGrant(GrantRequest{Export: "x", ExpiresIn: time.Minute})
	live, _, _ := s.CreateGrant(GrantRequest{Export: "x", ExpiresIn: time.Hour})
	s.SetClock(func() time.Time { return now.Add(2 * time.Minute) })
	if gs, _ := s.Grants("x"); len(gs) != 2 {
		t.Fatalf("listing removed something: %+v", gs)
	}
	fresh, _, _ := s.CreateGrant(GrantRequest{Export: "y", ExpiresIn: time.Hour})
	var f storeFile
	raw, _ := os.ReadFile(path)
	json.Unmarshal(raw, &f)
	var ids []string
	for _, tk := range f.Tokens {
		ids = append(ids, tk.ID)
	}
	if strings.Join(ids, ",") != live.ID+","+fresh.ID {
		t.Fatalf("tokens.json holds %v, want the live %s and the new %s (not the expired %s)", ids, live.ID, fresh.ID, old.ID)
	}
}

// A grant in the file without its export (edited by hand) reaches nothing.
func TestGrantWithoutExportIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), StoreFile)
	s, _ := OpenStore(path)
	_, tok, _ := s.CreateGrant(GrantRequest{Export: "x", ExpiresIn: time.Hour})
	var f storeFile
	raw, _ := os.ReadFile(path)
	json.Unmarshal(raw, &f)
	f.Tokens[0].Grant = nil
	raw, _ = json.Marshal(f)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	other, _ := OpenStore(path)
	if id, err := other.Authenticate(tok); err == nil {
		t.Fatalf("a grant without an export authenticated as %+v", id)
	}
}
