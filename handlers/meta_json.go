package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/hvport/hvport/api"
)

// openAPIJSON is api/openapi.yaml as JSON, made once, with every mapping
// in the document's order (a reader sees the paths as written): GET
// /v1/openapi.yaml answers it to a caller that asks for application/json
// (the reference page, which has no YAML parser).
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(api.OpenAPI, &doc); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := yamlNodeJSON(&buf, &doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
})

// yamlNodeJSON writes a YAML node as JSON, keeping mapping order.
func yamlNodeJSON(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("a YAML document with %d nodes", len(n.Content))
		}
		return yamlNodeJSON(buf, n.Content[0])
	case yaml.AliasNode:
		return yamlNodeJSON(buf, n.Alias)
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			k, err := json.Marshal(n.Content[i].Value)
			if err != nil {
				return err
			}
			buf.Write(k)
			buf.WriteByte(':')
			if err := yamlNodeJSON(buf, n.Content[i+1]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := yamlNodeJSON(buf, c); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.Write(b)
	default:
		return fmt.Errorf("YAML node kind %d at line %d", n.Kind, n.Line)
	}
	return nil
}

// wantsJSON reports whether the Accept header asks for application/json
// before (or without) a YAML type.
func wantsJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		t, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch t {
		case "application/json":
			return true
		case "application/yaml", "application/x-yaml", "text/yaml", "*/*":
			return false
		}
	}
	return false
}
