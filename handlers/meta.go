package handlers

import (
	"net/http"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/hyperv"
)

// metaResource serves the service's own description.
type metaResource struct {
	d       *hyperv.Driver
	backend string
}

type health struct {
	Status     string `json:"status"`
	Backend    string `json:"backend"`
	APIVersion string `json:"apiVersion"`
	Namespace  string `json:"namespace"`
}

func (m metaResource) health(w http.ResponseWriter, r *http.Request) (any, error) {
	return health{Status: "ok", Backend: m.backend, APIVersion: string(m.d.API()), Namespace: m.d.Namespace()}, nil
}

func (m metaResource) openapi(w http.ResponseWriter, r *http.Request) (any, error) {
	return raw{contentType: "application/yaml", body: api.OpenAPI}, nil
}
