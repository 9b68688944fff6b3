package apitest

import "testing"

func TestDocumentIsValid(t *testing.T) {
	if _, err := Router(); err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
}
