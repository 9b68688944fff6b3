package sim

import (
	"fmt"
	"math/big"
	"strings"
	"unicode"

	"github.com/hvport/hvport/wmi"
)

// The WQL subset the simulator understands:
//
//	SELECT * FROM <class> [WHERE <condition>]
//	ASSOCIATORS OF {<object path>} [WHERE <clause> ...]
//
// A condition combines comparisons with AND, OR, NOT and parentheses. A
// comparison is <property> <op> <literal> with op one of = <> != < > <= >=
// or LIKE (% and _ wildcards), or <property> IS [NOT] NULL. Literals are
// 'strings' or "strings" (backslash escapes the next character, as in
// WQL), numbers, TRUE, FALSE and NULL. Property names compare
// case-insensitively, and so do strings, as in WMI.
//
// ASSOCIATORS OF clauses are ResultClass = <class>, AssocClass = <class>,
// Role = <property> and ResultRole = <property>, separated by spaces (not
// AND, which real WMI rejects there).
//
// Not supported, rejected with WBEMInvalidQuery: property lists (SELECT
// Name, …), REFERENCES OF, event queries (WITHIN, __InstanceCreationEvent,
// …), ISA, array properties in WHERE, and the ASSOCIATORS OF clauses
// ClassDefsOnly, SchemaOnly, KeysOnly, RequiredQualifier and
// RequiredAssocQualifier.

type selectQuery struct {
	class string
	where expr // nil: every instance
}

type associatorsQuery struct {
	source                                    string
	resultClass, assocClass, role, resultRole string
}

func invalidQuery(format string, args ...any) *wmi.Error {
	return &wmi.Error{HResult: wmi.WBEMInvalidQuery, Msg: fmt.Sprintf(format, args...)}
}

// parseWQL parses a query (a *selectQuery or an *associatorsQuery).
func parseWQL(s string) (any, error) {
	toks, err := lexWQL(s)
	if err != nil {
		return nil, err
	}
	p := &wqlParser{toks: toks}
	var q any
	switch {
	case p.keyword("SELECT"):
		q, err = p.parseSelect()
	case p.keyword("ASSOCIATORS"):
		q, err = p.parseAssociators()
	case p.keyword("REFERENCES"):
		return nil, invalidQuery("REFERENCES OF queries are not supported by the simulator")
	default:
		return nil, invalidQuery("a query must start with SELECT or ASSOCIATORS OF")
	}
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, invalidQuery("unexpected %q", t.text)
	}
	return q, nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokNumber
	tokOp     // = <> != < > <= >=
	tokPunct  // ( ) , *
	tokBraced // {object path}
)

type token struct {
	kind tokKind
	text string // for tokString the unescaped value
}

func lexWQL(s string) ([]token, error) {
	var toks []token
	r := []rune(s)
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '{':
			j := i + 1
			for j < len(r) && r[j] != '}' {
				j++
			}
			if j >= len(r) {
				return nil, invalidQuery("unterminated {object path}")
			}
			toks = append(toks, token{tokBraced, strings.TrimSpace(string(r[i+1 : j]))})
			i = j + 1
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(r) && r[j] != c; j++ {
				if r[j] == '\\' && j+1 < len(r) {
					j++
				}
				b.WriteRune(r[j])
			}
			if j >= len(r) {
				return nil, invalidQuery("unterminated string")
			}
			toks = append(toks, token{tokString, b.String()})
			i = j + 1
		case c == '(' || c == ')' || c == ',' || c == '*':
			toks = append(toks, token{tokPunct, string(c)})
			i++
		case c == '=' || c == '<' || c == '>' || c == '!':
			op := string(c)
			if i+1 < len(r) && (r[i+1] == '=' || (c == '<' && r[i+1] == '>')) {
				op += string(r[i+1])
			}
			if op == "!" {
				return nil, invalidQuery("unexpected '!'")
			}
			toks = append(toks, token{tokOp, op})
			i += len(op)
		case c == '-' || c == '+' || c == '.' || unicode.IsDigit(c):
			j := i + 1
			for j < len(r) && (unicode.IsDigit(r[j]) || r[j] == '.') {
				j++
			}
			toks = append(toks, token{tokNumber, string(r[i:j])})
			i = j
		case c == '_' || unicode.IsLetter(c):
			j := i + 1
			for j < len(r) && (r[j] == '_' || unicode.IsLetter(r[j]) || unicode.IsDigit(r[j])) {
				j++
			}
			toks = append(toks, token{tokIdent, string(r[i:j])})
			i = j
		default:
			return nil, invalidQuery("unexpected character %q", c)
		}
	}
	return append(toks, token{kind: tokEOF}), nil
}

type wqlParser struct {
	toks []token
	pos  int
}

func (p *wqlParser) peek() token { return p.toks[p.pos] }

func (p *wqlParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

// keyword consumes the keyword if it comes next.
func (p *wqlParser) keyword(kw string) bool {
	if t := p.peek(); t.kind == tokIdent && strings.EqualFold(t.text, kw) {
		p.pos++
		return true
	}
	return false
}

func (p *wqlParser) punct(s string) bool {
	if t := p.peek(); t.kind == tokPunct && t.text == s {
		p.pos++
		return true
	}
	return false
}

func (p *wqlParser) ident(what string) (string, error) {
	t := p.next()
	if t.kind != tokIdent {
		return "", invalidQuery("want %s, got %q", what, t.text)
	}
	return t.text, nil
}

func (p *wqlParser) parseSelect() (*selectQuery, error) {
	if !p.punct("*") {
		return nil, invalidQuery("only SELECT * is supported by the simulator")
	}
	if !p.keyword("FROM") {
		return nil, invalidQuery("want FROM after SELECT *")
	}
	class, err := p.ident("a class name")
	if err != nil {
		return nil, err
	}
	q := &selectQuery{class: class}
	if p.keyword("WHERE") {
		if q.where, err = p.parseOr(); err != nil {
			return nil, err
		}
	}
	return q, nil
}

func (p *wqlParser) parseAssociators() (*associatorsQuery, error) {
	if !p.keyword("OF") {
		return nil, invalidQuery("want OF after ASSOCIATORS")
	}
	t := p.next()
	if t.kind != tokBraced || t.text == "" {
		return nil, invalidQuery("want {object path} after ASSOCIATORS OF")
	}
	q := &associatorsQuery{source: t.text}
	if !p.keyword("WHERE") {
		return q, nil
	}
	for p.peek().kind != tokEOF {
		name, err := p.ident("an ASSOCIATORS OF clause")
		if err != nil {
			return nil, err
		}
		var dst *string
		switch strings.ToLower(name) {
		case "resultclass":
			dst = &q.resultClass
		case "assocclass":
			dst = &q.assocClass
		case "role":
			dst = &q.role
		case "resultrole":
			dst = &q.resultRole
		case "classdefsonly", "schemaonly", "keysonly", "requiredqualifier", "requiredassocqualifier":
			return nil, invalidQuery("ASSOCIATORS OF clause %s is not supported by the simulator", name)
		default:
			return nil, invalidQuery("unknown ASSOCIATORS OF clause %q", name)
		}
		if *dst != "" {
			return nil, invalidQuery("clause %s given twice", name)
		}
		if t := p.next(); t.kind != tokOp || t.text != "=" {
			return nil, invalidQuery("want = after %s", name)
		}
		if *dst, err = p.ident("a name after " + name + " ="); err != nil {
			return nil, err
		}
	}
	return q, nil
}

func (p *wqlParser) parseOr() (expr, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.keyword("OR") {
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = orExpr{left, right}
	}
	return left, nil
}

func (p *wqlParser) parseAnd() (expr, error) {
	left, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.keyword("AND") {
		right, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		left = andExpr{left, right}
	}
	return left, nil
}

func (p *wqlParser) parseNot() (expr, error) {
	if p.keyword("NOT") {
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return notExpr{x}, nil
	}
	if p.punct("(") {
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if !p.punct(")") {
			return nil, invalidQuery("missing )")
		}
		return x, nil
	}
	return p.parseComparison()
}

func (p *wqlParser) parseComparison() (expr, error) {
	prop, err := p.ident("a property name")
	if err != nil {
		return nil, err
	}
	if p.keyword("IS") {
		not := p.keyword("NOT")
		if !p.keyword("NULL") {
			return nil, invalidQuery("want NULL after IS")
		}
		return isNullExpr{prop: prop, not: not}, nil
	}
	var op string
	if p.keyword("LIKE") {
		op = "LIKE"
	} else if t := p.next(); t.kind == tokOp {
		op = t.text
		if op == "!=" {
			op = "<>"
		}
	} else {
		return nil, invalidQuery("want a comparison after %s, got %q", prop, t.text)
	}
	lit, err := p.parseLiteral()
	if err != nil {
		return nil, err
	}
	if op == "LIKE" && lit.kind != litString {
		return nil, invalidQuery("LIKE needs a string")
	}
	return cmpExpr{prop: prop, op: op, lit: lit}, nil
}

func (p *wqlParser) parseLiteral() (literal, error) {
	t := p.next()
	switch t.kind {
	case tokString:
		return literal{kind: litString, text: t.text}, nil
	case tokNumber:
		if _, ok := new(big.Rat).SetString(t.text); !ok {
			return literal{}, invalidQuery("bad number %q", t.text)
		}
		return literal{kind: litNumber, text: t.text}, nil
	case tokIdent:
		switch strings.ToUpper(t.text) {
		case "TRUE":
			return literal{kind: litBool, b: true}, nil
		case "FALSE":
			return literal{kind: litBool}, nil
		case "NULL":
			return literal{kind: litNull}, nil
		}
	}
	return literal{}, invalidQuery("want a literal, got %q", t.text)
}
