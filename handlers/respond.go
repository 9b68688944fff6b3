package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/internal/failpoint"
)

// retryAfter is when a client should try again after a refusal that
// passes: a full job queue (429) and an unavailable service (503).
var retryAfter = map[int]string{http.StatusTooManyRequests: "5", http.StatusServiceUnavailable: "5"}

// maxBodyBytes bounds request bodies; settings objects are small.
const maxBodyBytes = 1 << 20

// handlerFunc is what every endpoint is: it returns a value to write as
// JSON (with status 200 unless it is a *created/*accepted) or an error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) (any, error)

// accepted is a 202 response with a Location header.
type accepted struct {
	location string
	body     any
}

// created is a 201 response with a Location header.
type created struct {
	location string
	body     any
}

// streamed says the handler wrote the response itself (server-sent
// events); the adapter writes nothing more.
type streamed struct{}

// raw is a non-JSON response (the OpenAPI document).
type raw struct {
	contentType string
	body        []byte
}

// adapter turns handlerFuncs into http.Handlers: it is the one place that
// writes JSON bodies and problem responses, and logs failures.
type adapter struct{ log *zap.Logger }

func (a adapter) wrap(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := h(w, r)
		if err != nil {
			a.problem(w, r, err)
			return
		}
		switch x := v.(type) {
		case streamed:
			return
		case accepted:
			w.Header().Set("Location", x.location)
			// When to look at the job first (RFC 9110 §10.2.3): jobs
			// report progress about once a second.
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusAccepted, x.body)
			if failpoint.Enabled {
				http.NewResponseController(w).Flush() // the client has its 202
				failpoint.Hit(failpoint.SubmitAcknowledged)
			}
		case created:
			w.Header().Set("Location", x.location)
			writeJSON(w, http.StatusCreated, x.body)
		case raw:
			w.Header().Set("Content-Type", x.contentType)
			w.WriteHeader(http.StatusOK)
			w.Write(x.body)
		default:
			writeJSON(w, http.StatusOK, v)
		}
	}
}

// problem writes err as application/problem+json and logs it: 4xx at
// debug, 5xx at error with the internal cause.
func (a adapter) problem(w http.ResponseWriter, r *http.Request, err error) {
	p := ProblemOf(err)
	p.Instance = r.URL.Path
	fields := []zap.Field{zap.String("request_id", requestID(r)), zap.String("method", r.Method),
		zap.String("path", r.URL.Path), zap.Int("status", p.Status), zap.Error(err)}
	if p.Status >= 500 {
		a.log.Error("request failed", fields...)
	} else {
		a.log.Debug("request refused", fields...)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // details are read by people: "<VM GUID>", "&"
	if err := enc.Encode(p); err != nil {
		buf.Reset()
		buf.WriteString(`{"type":"` + ProblemTypeBase + `internal","title":"Internal error","status":500}` + "\n")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	if retry, ok := retryAfter[p.Status]; ok {
		w.Header().Set("Retry-After", retry)
	}
	w.WriteHeader(p.Status)
	w.Write(buf.Bytes())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := encodeJSON(v)
	if err != nil {
		http.Error(w, `{"type":"`+ProblemTypeBase+`internal","title":"Internal error","status":500}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// encodeJSON is a response body as every JSON answer has it: HTML
// characters as they are, a newline at the end.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return buf.Bytes(), err
}

// decodeJSON reads a JSON request body into v strictly: JSON content type,
// size limit, one value only, and no field that v does not declare with
// exactly that spelling (encoding/json alone would accept "copyVMStorage"
// for copyVmStorage). Errors name the field.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errs.E(errs.UnsupportedMedia, "the request body must be application/json, not %q", ct)
		}
		// JSON is UTF-8 (RFC 8259 §8.1); a body in another charset would
		// be misread, not converted.
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			return errs.E(errs.UnsupportedMedia, "the request body must be UTF-8 JSON, not charset %q", cs)
		}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errs.E(errs.TooLarge, "the request body is larger than %d bytes", maxBodyBytes)
	} else if err != nil {
		return errs.Wrap(errs.BadRequest, err, "cannot read the request body")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return errs.E(errs.BadRequest, "the request body is empty; a JSON object is required")
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD: a name
	// or path would then differ from what the client meant.
	if !utf8.Valid(data) {
		return errs.E(errs.BadRequest, "the request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return errs.E(errs.BadRequest, "malformed JSON at byte %d: %v", syntax.Offset, err)
		}
		return errs.E(errs.BadRequest, "malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errs.E(errs.BadRequest, "the request body must hold exactly one JSON value")
	}
	if unknown := unknownFields(generic, reflect.TypeOf(v), ""); len(unknown) > 0 {
		e := &errs.Error{Kind: errs.BadRequest, Msg: "unknown field " + quote(unknown[0].Field)}
		if len(unknown) > 1 {
			e.Msg = fmt.Sprintf("%d unknown fields", len(unknown))
		}
		e.Fields = unknown
		return e
	}
	err = json.Unmarshal(data, v)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "(body)"
		}
		return errs.Field(field, fmt.Sprintf("must be %s, not a JSON %s", jsonTypeName(typeErr.Type.String()), typeErr.Value))
	}
	return errs.Wrap(errs.BadRequest, err, "cannot read the request body")
}

// unknownFields walks a decoded JSON value next to the Go type it will be
// decoded into and lists the object keys the type does not declare,
// compared case-sensitively, with their JSON paths.
func unknownFields(v any, t reflect.Type, path string) []errs.FieldError {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeOf(json.RawMessage{}) {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return nil // a type error, reported by the real decode
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields[name] = f.Type
		}
		var out []errs.FieldError
		for _, k := range sortedKeys(x) {
			p := k
			if path != "" {
				p = path + "." + k
			}
			ft, ok := fields[k]
			if !ok {
				reason := "unknown field"
				for name := range fields {
					if strings.EqualFold(name, k) {
						reason = "unknown field; did you mean " + quote(name) + "? (names are case-sensitive)"
					}
				}
				out = append(out, errs.FieldError{Field: p, Reason: reason})
				continue
			}
			out = append(out, unknownFields(x[k], ft, p)...)
		}
		return out
	case []any:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return nil
		}
		var out []errs.FieldError
		for i, e := range x {
			out = append(out, unknownFields(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// jsonTypeName renders a Go type as the JSON type a client would send.
func jsonTypeName(goType string) string {
	switch strings.TrimPrefix(goType, "*") {
	case "bool":
		return "a boolean"
	case "string":
		return "a string"
	case "int", "int64", "uint8", "uint16", "uint32", "float64":
		return "a number"
	}
	if strings.HasPrefix(goType, "[]") {
		return "an array"
	}
	return "an object"
}

func quote(s string) string { return `"` + s + `"` }
