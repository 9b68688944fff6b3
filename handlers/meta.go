package handlers

import (
	"net/http"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/hyperv"
)

// metaResource serves the service's own description.
type metaResource struct {
	d       *hyperv.Driver
	backend string
}

// health is public and says only "ok" to a caller without credentials
// (no version, paths or host data); an authenticated caller also learns
// the backend and the Hyper-V API in use.
type health struct {
	Status     string `json:"status"`
	Backend    string `json:"backend,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
}

func (m metaResource) health(w http.ResponseWriter, r *http.Request) (any, error) {
	if identityOf(r) == nil {
		return health{Status: "ok"}, nil
	}
	return health{Status: "ok", Backend: m.backend, APIVersion: string(m.d.API()), Namespace: m.d.Namespace()}, nil
}

// openapi serves the API description: YAML, or JSON to a caller that
// asks for application/json (meta_json.go).
func (m metaResource) openapi(w http.ResponseWriter, r *http.Request) (any, error) {
	w.Header().Add("Vary", "Accept")
	if wantsJSON(r) {
		b, err := openAPIJSON()
		if err != nil {
			return nil, errs.Wrap(errs.Internal, err, "convert the API description to JSON")
		}
		return raw{contentType: "application/json", body: b}, nil
	}
	return raw{contentType: "application/yaml", body: api.OpenAPI}, nil
}
