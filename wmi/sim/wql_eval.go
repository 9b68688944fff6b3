package sim

import (
	"math/big"
	"strings"

	"github.com/hvport/hvport/wmi"
)

// expr is a parsed WHERE condition.
type expr interface {
	eval(o *wmi.Object) bool
	// props calls f with each property name the condition reads.
	props(f func(string))
}

type litKind int

const (
	litString litKind = iota
	litNumber
	litBool
	litNull
)

type literal struct {
	kind litKind
	text string // string value or number text
	b    bool
}

type orExpr struct{ a, b expr }
type andExpr struct{ a, b expr }
type notExpr struct{ x expr }

type isNullExpr struct {
	prop string
	not  bool
}

type cmpExpr struct {
	prop string
	op   string // = <> < > <= >= LIKE
	lit  literal
}

func (e orExpr) eval(o *wmi.Object) bool  { return e.a.eval(o) || e.b.eval(o) }
func (e andExpr) eval(o *wmi.Object) bool { return e.a.eval(o) && e.b.eval(o) }
func (e notExpr) eval(o *wmi.Object) bool { return !e.x.eval(o) }
func (e isNullExpr) eval(o *wmi.Object) bool {
	return o.IsNull(e.prop) != e.not
}

func (e orExpr) props(f func(string))     { e.a.props(f); e.b.props(f) }
func (e andExpr) props(f func(string))    { e.a.props(f); e.b.props(f) }
func (e notExpr) props(f func(string))    { e.x.props(f) }
func (e isNullExpr) props(f func(string)) { f(e.prop) }
func (e cmpExpr) props(f func(string))    { f(e.prop) }

// eval compares a property with a literal. As in SQL and WQL, a NULL
// property satisfies no comparison (use IS NULL); a value that cannot be
// compared with the literal satisfies none either.
func (e cmpExpr) eval(o *wmi.Object) bool {
	v := o.Get(e.prop)
	if v == nil || e.lit.kind == litNull {
		return false
	}
	if e.op == "LIKE" {
		s, ok := v.(string)
		return ok && likeMatch([]rune(strings.ToLower(s)), []rune(strings.ToLower(e.lit.text)))
	}
	var c int
	switch x := v.(type) {
	case string:
		lit := e.lit.text
		if e.lit.kind == litBool {
			return false
		}
		c = strings.Compare(strings.ToLower(x), strings.ToLower(lit))
	case bool:
		if e.lit.kind != litBool || (e.op != "=" && e.op != "<>") {
			return false
		}
		if x == e.lit.b {
			c = 0
		} else {
			c = 1
		}
	default:
		n, ok := numberOf(v)
		if !ok || e.lit.kind == litBool {
			return false
		}
		lit, ok := new(big.Rat).SetString(e.lit.text)
		if !ok {
			return false
		}
		c = n.Cmp(lit)
	}
	switch e.op {
	case "=":
		return c == 0
	case "<>":
		return c != 0
	case "<":
		return c < 0
	case ">":
		return c > 0
	case "<=":
		return c <= 0
	case ">=":
		return c >= 0
	}
	return false
}

// numberOf converts an integer or real property value exactly.
func numberOf(v any) (*big.Rat, bool) {
	r := new(big.Rat)
	switch x := v.(type) {
	case uint64:
		return r.SetFrac(new(big.Int).SetUint64(x), big.NewInt(1)), true
	case float32:
		return r.SetFloat64(float64(x)), true
	case float64:
		if r.SetFloat64(x) == nil {
			return nil, false
		}
		return r, true
	case int8:
		return r.SetInt64(int64(x)), true
	case uint8:
		return r.SetInt64(int64(x)), true
	case int16:
		return r.SetInt64(int64(x)), true
	case uint16:
		return r.SetInt64(int64(x)), true
	case int32:
		return r.SetInt64(int64(x)), true
	case uint32:
		return r.SetInt64(int64(x)), true
	case int64:
		return r.SetInt64(x), true
	}
	return nil, false
}

// likeMatch matches WQL LIKE: % is any run, _ any one character, [abc]
// and [^abc] (with a-z ranges) a character set.
func likeMatch(s, pat []rune) bool {
	for len(pat) > 0 {
		switch pat[0] {
		case '%':
			for i := 0; i <= len(s); i++ {
				if likeMatch(s[i:], pat[1:]) {
					return true
				}
			}
			return false
		case '_':
			if len(s) == 0 {
				return false
			}
		case '[':
			end := 1
			for end < len(pat) && pat[end] != ']' {
				end++
			}
			if end == len(pat) || len(s) == 0 || !inSet(s[0], pat[1:end]) {
				return false
			}
			s, pat = s[1:], pat[end+1:]
			continue
		default:
			if len(s) == 0 || s[0] != pat[0] {
				return false
			}
		}
		s, pat = s[1:], pat[1:]
	}
	return len(s) == 0
}

func inSet(c rune, set []rune) bool {
	negate := len(set) > 0 && set[0] == '^'
	if negate {
		set = set[1:]
	}
	found := false
	for i := 0; i < len(set); i++ {
		if i+2 < len(set) && set[i+1] == '-' {
			if c >= set[i] && c <= set[i+2] {
				found = true
			}
			i += 2
			continue
		}
		if c == set[i] {
			found = true
		}
	}
	return found != negate
}

// selectLocked runs a SELECT query in ns.
func (h *Host) selectLocked(ns *namespace, q *selectQuery) ([]*wmi.Object, error) {
	if !ns.knownClassName(q.class) {
		return nil, &wmi.Error{HResult: wmi.WBEMInvalidClass, Msg: "no class " + q.class}
	}
	c := ns.lookupClass(q.class)
	if c != nil && c.association {
		return nil, &wmi.Error{HResult: wmi.WBEMNotSupported,
			Msg: "the simulator does not enumerate association instances; use ASSOCIATORS OF"}
	}
	if q.where != nil && c != nil {
		// Real WMI checks the WHERE clause against the class in FROM.
		var bad *wmi.Error
		q.where.props(func(name string) {
			def := c.prop(name)
			switch {
			case bad != nil:
			case def == nil:
				bad = invalidQuery("class %s has no property %s", c.name, name)
			case def.array:
				bad = invalidQuery("array property %s cannot be used in WHERE", def.name)
			}
		})
		if bad != nil {
			return nil, bad
		}
	}
	out := []*wmi.Object{}
	for _, o := range h.instancesLocked(ns, q.class) {
		if q.where == nil || q.where.eval(o) {
			out = append(out, o)
		}
	}
	return out, nil
}
