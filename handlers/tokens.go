package handlers

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/errs"
)

// tokensResource serves /v1/tokens (admin only): the same tokens the
// host's `hvport token` command manages, in the same file.
type tokensResource struct{ store *auth.Store }

func (t tokensResource) storeOrFail() (*auth.Store, error) {
	if t.store == nil {
		return nil, errs.E(errs.NotSupported, "this server has no token store (it runs with --insecure-no-auth)")
	}
	return t.store, nil
}

func (t tokensResource) list(w http.ResponseWriter, r *http.Request) (any, error) {
	s, err := t.storeOrFail()
	if err != nil {
		return nil, err
	}
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	out := api.List[api.Token]{Items: make([]api.Token, 0, len(all))}
	for _, tok := range all {
		out.Items = append(out.Items, toToken(tok))
	}
	return out, nil
}

// create makes a token and returns its secret, once.
func (t tokensResource) create(w http.ResponseWriter, r *http.Request) (any, error) {
	s, err := t.storeOrFail()
	if err != nil {
		return nil, err
	}
	var req api.TokenRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return nil, err
	}
	role, ok := auth.ParseRole(req.Role)
	if !ok {
		return nil, errs.Field("role", "unknown role "+quote(req.Role), auth.RoleNames()...)
	}
	var ttl time.Duration
	if req.ExpiresIn != nil {
		if ttl, err = time.ParseDuration(*req.ExpiresIn); err != nil || ttl <= 0 {
			return nil, errs.Field("expiresIn", "a positive duration such as \"720h\" or \"30m\", got "+quote(*req.ExpiresIn))
		}
	}
	if err := auditEffect(r, effect{Target: req.Name}); err != nil {
		return nil, err
	}
	tok, secret, err := s.Create(auth.CreateRequest{Name: req.Name, Role: role, VMs: req.VMs, ExpiresIn: ttl, CreatedBy: identityOf(r).Principal()})
	if err != nil {
		return nil, err
	}
	return created{location: "/v1/tokens/" + tok.Name, body: api.CreatedToken{Token: toToken(tok), Secret: secret}}, nil
}

// revoke deletes a token by name; requests with it fail from now on.
func (t tokensResource) revoke(w http.ResponseWriter, r *http.Request) (any, error) {
	s, err := t.storeOrFail()
	if err != nil {
		return nil, err
	}
	name := chi.URLParam(r, "name")
	if err := auditEffect(r, effect{Target: name}); err != nil {
		return nil, err
	}
	tok, err := s.Revoke(name)
	if err != nil {
		return nil, err
	}
	return toToken(tok), nil
}

func toToken(t auth.Token) api.Token {
	return api.Token{ID: t.ID, Name: t.Name, Role: string(t.Role), VMs: append([]string{}, t.VMs...), CreatedAt: t.CreatedAt,
		ExpiresAt: t.ExpiresAt, CreatedBy: t.CreatedBy}
}
