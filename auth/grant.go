package auth

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hvport/hvport/errs"
)

// An export grant is a token of role Grant made for one export: another
// hvport agent (the destination of a copy) presents it to read that
// export's manifest and files, and — only when it was made so — to delete
// the export once it has verified every byte (issue #13). It is stored in
// tokens.json like any token (its secret only as a hash), always expires
// (MaxGrantLifetime at most), and can be revoked. Grants are not in List
// and not revoked by Revoke: they are listed and revoked per export.

// Lifetimes of a grant.
const (
	DefaultGrantLifetime = time.Hour
	MaxGrantLifetime     = 24 * time.Hour
)

// GrantScope is what a grant reaches.
type GrantScope struct {
	Export string `json:"export"` // the export's id
	// DeleteExport also allows DELETE /v1/exports/{id} of that export.
	DeleteExport bool `json:"deleteExport,omitempty"`
}

// GrantRequest describes a grant to create.
type GrantRequest struct {
	Export       string
	DeleteExport bool
	ExpiresIn    time.Duration // required: above 0, at most MaxGrantLifetime
	CreatedBy    string        // a Principal
}

// CreateGrant adds a grant and returns it with its secret, which is never
// stored and cannot be shown again. Grants that have expired are removed
// from the file on the way (they would only accumulate).
func (s *Store) CreateGrant(req GrantRequest) (Token, string, error) {
	if req.Export == "" {
		return Token{}, "", errs.E(errs.Internal, "a grant needs an export")
	}
	if req.ExpiresIn <= 0 || req.ExpiresIn > MaxGrantLifetime {
		return Token{}, "", errs.Field("expiresIn", fmt.Sprintf("a grant lives more than 0 and at most %v", MaxGrantLifetime))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(false); err != nil {
		return Token{}, "", err
	}
	id, tok, err := newToken()
	if err != nil {
		return Token{}, "", err
	}
	_, secret, _ := splitToken(tok)
	now := s.now().UTC().Truncate(time.Second)
	exp := now.Add(req.ExpiresIn)
	t := Token{ID: id, Name: "grant-" + id, Role: Grant, Hash: hashSecret(secret), CreatedAt: now, ExpiresAt: &exp,
		CreatedBy: req.CreatedBy, Grant: &GrantScope{Export: req.Export, DeleteExport: req.DeleteExport}}
	for _, o := range s.tokens {
		if strings.EqualFold(o.Name, t.Name) { // 1 in 2^48; never a silent duplicate
			return Token{}, "", errs.E(errs.Conflict, "a token named %q exists; ask again", t.Name)
		}
	}
	before := s.tokens
	kept := make([]Token, 0, len(s.tokens)+1)
	for _, o := range s.tokens {
		if !(o.IsGrant() && o.Expired(s.now())) {
			kept = append(kept, o)
		}
	}
	s.tokens = append(kept, t)
	if err := s.saveLocked(); err != nil {
		s.tokens = before
		return Token{}, "", err
	}
	return t, tok, nil
}

// Grants returns the grants of one export (expired ones too, until the
// next CreateGrant removes them), oldest first, without secrets.
func (s *Store) Grants(exportID string) ([]Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(false); err != nil {
		return nil, err
	}
	var out []Token
	for _, t := range s.tokens {
		if t.IsGrant() && t.Grant != nil && strings.EqualFold(t.Grant.Export, exportID) {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// RevokeGrant removes the grant with this id, which must be one of the
// export's (another export's grant is NotFound here, as a missing one).
func (s *Store) RevokeGrant(exportID, id string) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(false); err != nil {
		return Token{}, err
	}
	for i, t := range s.tokens {
		if t.IsGrant() && t.ID == id && t.Grant != nil && strings.EqualFold(t.Grant.Export, exportID) {
			s.tokens = append(s.tokens[:i:i], s.tokens[i+1:]...)
			if err := s.saveLocked(); err != nil {
				return Token{}, err
			}
			return t, nil
		}
	}
	return Token{}, errs.E(errs.NotFound, "export %s has no grant %q", exportID, id)
}

// RevokeGrants removes every grant of an export (it was deleted) and
// returns them.
func (s *Store) RevokeGrants(exportID string) ([]Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(false); err != nil {
		return nil, err
	}
	var gone []Token
	kept := make([]Token, 0, len(s.tokens))
	for _, t := range s.tokens {
		if t.IsGrant() && t.Grant != nil && strings.EqualFold(t.Grant.Export, exportID) {
			gone = append(gone, t)
			continue
		}
		kept = append(kept, t)
	}
	if len(gone) == 0 {
		return nil, nil
	}
	before := s.tokens
	s.tokens = kept
	if err := s.saveLocked(); err != nil {
		s.tokens = before
		return nil, err
	}
	return gone, nil
}
