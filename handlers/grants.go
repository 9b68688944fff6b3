package handlers

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/jobs"
)

// grantsResource serves /v1/exports/{id}/grants (operator): short-lived
// tokens that let another agent read one export — GET /v1/exports/{id},
// its manifest and files — and, when made with deleteExportWhenDone,
// delete it once it has every byte (issue #13). They are tokens of role
// auth.Grant in the token store (hashed, like every token); the route
// table gives the grant role to the routes a grant reaches, and
// grantPermits keeps a grant to its export.
type grantsResource struct {
	exports exportsResource
	store   *auth.Store
	jobs    *jobs.Registry
}

func (g grantsResource) storeOrFail() (*auth.Store, error) {
	if g.store == nil {
		return nil, errs.E(errs.NotSupported, "this server has no token store (it runs with --insecure-no-auth), so it makes no grants")
	}
	return g.store, nil
}

// create makes a grant and returns its token, once.
func (g grantsResource) create(w http.ResponseWriter, r *http.Request) (any, error) {
	s, err := g.storeOrFail()
	if err != nil {
		return nil, err
	}
	var req api.GrantRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return nil, err
	}
	x, err := g.exports.visibleExport(r)
	if err != nil {
		return nil, err
	}
	ttl := auth.DefaultGrantLifetime
	if req.ExpiresIn != nil {
		if ttl, err = time.ParseDuration(*req.ExpiresIn); err != nil || ttl <= 0 || ttl > auth.MaxGrantLifetime {
			return nil, errs.Field("expiresIn", "a positive duration of at most "+auth.MaxGrantLifetime.String()+
				" such as \"1h\" or \"30m\", got "+quote(*req.ExpiresIn))
		}
	}
	del := req.DeleteExportWhenDone != nil && *req.DeleteExportWhenDone
	// Deleting an export is an admin's decision; an operator may let the
	// destination delete only an export it made itself (the intermediate
	// export of its own copy), as it may cancel only its own jobs.
	if del && !madeBy(g.jobs, x.Manifest.ID, identityOf(r)) {
		if err := requireRole(r, auth.Admin, `"deleteExportWhenDone": true for an export another identity made`); err != nil {
			return nil, err
		}
	}
	if err := auditEffect(r, effect{VM: x.Manifest.VM.ID, Target: x.Manifest.ID}); err != nil {
		return nil, err
	}
	tok, secret, err := s.CreateGrant(auth.GrantRequest{Export: x.Manifest.ID, DeleteExport: del, ExpiresIn: ttl, CreatedBy: identityOf(r).Principal()})
	if err != nil {
		return nil, err
	}
	auditOutcomeTarget(r, tok.Name)
	return created{location: grantLocation(x.Manifest.ID, tok.ID), body: api.CreatedGrant{Grant: toGrant(tok), Token: secret}}, nil
}

// list returns the export's grants, without their secrets.
func (g grantsResource) list(w http.ResponseWriter, r *http.Request) (any, error) {
	s, err := g.storeOrFail()
	if err != nil {
		return nil, err
	}
	x, err := g.exports.visibleExport(r)
	if err != nil {
		return nil, err
	}
	all, err := s.Grants(x.Manifest.ID)
	if err != nil {
		return nil, err
	}
	out := api.List[api.Grant]{Items: make([]api.Grant, 0, len(all))}
	for _, t := range all {
		out.Items = append(out.Items, toGrant(t))
	}
	return out, nil
}

// revoke deletes one grant of the export; requests with it fail from now on.
func (g grantsResource) revoke(w http.ResponseWriter, r *http.Request) (any, error) {
	s, err := g.storeOrFail()
	if err != nil {
		return nil, err
	}
	x, err := g.exports.visibleExport(r)
	if err != nil {
		return nil, err
	}
	id := chi.URLParam(r, "grant")
	if err := auditEffect(r, effect{VM: x.Manifest.VM.ID, Target: "grant-" + id}); err != nil {
		return nil, err
	}
	tok, err := s.RevokeGrant(x.Manifest.ID, id)
	if err != nil {
		return nil, err
	}
	return toGrant(tok), nil
}

func grantLocation(exportID, id string) string { return "/v1/exports/" + exportID + "/grants/" + id }

func toGrant(t auth.Token) api.Grant {
	g := api.Grant{ID: t.ID, CreatedAt: t.CreatedAt, CreatedBy: t.CreatedBy}
	if t.ExpiresAt != nil {
		g.ExpiresAt = *t.ExpiresAt
	}
	if t.Grant != nil {
		g.ExportID, g.DeleteExportWhenDone = t.Grant.Export, t.Grant.DeleteExport
	}
	return g
}

// grantPermits decides for an identity of role auth.Grant, instead of the
// role order: it reaches the routes the table gives to auth.Grant and —
// when made with deleteExportWhenDone — DELETE /v1/exports/{id}, each only
// for the export it was made for. Nothing else: no list, no other export,
// no job, no grant.
func grantPermits(r *http.Request, id *auth.Identity, method, pattern string, need auth.Role) error {
	g := id.Grant
	reach := need == auth.Grant || (method == http.MethodDelete && pattern == "/v1/exports/{id}" && g != nil && g.DeleteExport)
	if reach && g != nil && g.Export != "" && strings.EqualFold(chi.URLParam(r, "id"), g.Export) {
		return nil
	}
	e := &errs.Error{Kind: errs.Forbidden, Msg: "a grant reaches only the export it was made for (to read it, and to delete it when made so); not " + method + " " + pattern}
	if need != auth.Grant {
		e.Extra = map[string]any{"requiredRole": string(need)}
	}
	return e
}

// madeBy reports whether the export is the result of an export job that
// who submitted (while the registry keeps that job).
func madeBy(reg *jobs.Registry, exportID string, who *auth.Identity) bool {
	if reg == nil || who == nil {
		return false
	}
	principal, found := who.Principal(), false
	reg.Scan("", func(s jobs.Snapshot) bool {
		if s.Kind != jobs.KindExport || s.State != jobs.Completed || s.Submitter == nil || s.Result == nil {
			return true
		}
		var res struct {
			ExportID string `json:"exportId"`
		}
		if b, err := json.Marshal(s.Result); err != nil || json.Unmarshal(b, &res) != nil || !strings.EqualFold(res.ExportID, exportID) {
			return true
		}
		found = s.Submitter.ID == principal
		return false
	})
	return found
}
