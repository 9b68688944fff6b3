package handlers

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/hvport/hvport/errs"
)

// Every Kind has exactly one status, a title and a slug a client can match.
func TestEveryKindMapsToOneProblem(t *testing.T) {
	slug := regexp.MustCompile(`^[a-z-]+$`)
	seen := map[string]errs.Kind{}
	for k := errs.Internal; k <= errs.Interrupted; k++ {
		if _, ok := kindStatus[k]; !ok {
			t.Errorf("%s has no status", k)
		}
		if kindTitle[k] == "" {
			t.Errorf("%s has no title", k)
		}
		if !slug.MatchString(k.String()) {
			t.Errorf("%d has no slug: %q", k, k.String())
		}
		if other, dup := seen[k.String()]; dup {
			t.Errorf("%s and %s share a slug", k, other)
		}
		seen[k.String()] = k
		if k != errs.Internal && k != errs.Unavailable && k != errs.AuditUnavailable && k != errs.Interrupted && k != errs.ShuttingDown && k != errs.HostFailed && StatusOf(k) >= 500 && k != errs.InsufficientStorage {
			t.Errorf("client-side kind %s maps to %d", k, StatusOf(k))
		}
	}
}

func TestInternalCauseIsNotSent(t *testing.T) {
	p := ProblemOf(fmt.Errorf("db password is hunter2"))
	if p.Status != http.StatusInternalServerError || p.Type != ProblemTypeBase+"internal" || p.Detail == "" ||
		regexp.MustCompile("hunter2").MatchString(p.Detail) {
		t.Fatalf("problem = %+v", p)
	}
	p = ProblemOf(errs.Wrap(errs.Internal, fmt.Errorf("secret"), "boom"))
	if regexp.MustCompile("secret|boom").MatchString(p.Detail) {
		t.Fatalf("internal detail leaked: %+v", p)
	}
	p = ProblemOf(&errs.Error{Kind: errs.Conflict, Msg: "taken", Extra: map[string]any{"candidates": []string{"a"}}})
	if p.Status != 409 || p.Detail != "taken" || p.Extensions["candidates"] == nil {
		t.Fatalf("problem = %+v", p)
	}
}
