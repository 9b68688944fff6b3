package wmi

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// ObjectPath is a parsed WMI object path:
//
//	\\SERVER\root\virtualization\v2:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="<GUID>"
//
// Inside a quoted key value, backslash and double quote are escaped with a
// backslash (see cimxml-samples: InstanceID="Microsoft:<GUID>\\<GUID>").
type ObjectPath struct {
	Server    string // "" for a relative path
	Namespace string
	Class     string
	Keys      []Key // in path order; empty for a class path
	// Singleton marks the instance path of a singleton class, Class=@
	// (no keys, yet not a class path).
	Singleton bool
}

// Key is one key property of an object path.
type Key struct {
	Name  string
	Value string
}

// Key returns the named key's value (case-insensitive name).
func (p ObjectPath) Key(name string) string {
	for _, k := range p.Keys {
		if strings.EqualFold(k.Name, name) {
			return k.Value
		}
	}
	return ""
}

// RelPath is the path without server and namespace (__RELPATH).
func (p ObjectPath) RelPath() string {
	if p.Singleton {
		return p.Class + "=@"
	}
	if len(p.Keys) == 0 {
		return p.Class
	}
	var b strings.Builder
	b.WriteString(p.Class)
	for i, k := range p.Keys {
		if i == 0 {
			b.WriteByte('.')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(k.Name)
		b.WriteString(`="`)
		keyEscaper.WriteString(&b, k.Value)
		b.WriteByte('"')
	}
	return b.String()
}

// keyEscaper escapes a key's value in a path (built once: a Replacer is
// costly to build and paths are formatted for every object).
var keyEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// String formats the full path (__PATH).
func (p ObjectPath) String() string {
	if p.Server == "" && p.Namespace == "" {
		return p.RelPath()
	}
	if p.Server == "" { // namespace-relative: root\cimv2:Class...
		return p.Namespace + ":" + p.RelPath()
	}
	return `\\` + p.Server + `\` + p.Namespace + ":" + p.RelPath()
}

// ParsePath parses a full or relative object path.
func ParsePath(s string) (ObjectPath, error) {
	var p ObjectPath
	bad := func(why string) (ObjectPath, error) {
		return ObjectPath{}, &Error{Op: "ParsePath", Path: s, HResult: WBEMInvalidObjectPath, Msg: why}
	}
	rest := s
	if strings.HasPrefix(rest, `\\`) || strings.HasPrefix(rest, `//`) {
		rest = rest[2:]
		i := strings.IndexAny(rest, `\/`)
		if i < 0 {
			return bad("no namespace after server")
		}
		p.Server, rest = rest[:i], rest[i+1:]
		c := strings.IndexByte(rest, ':')
		if c < 0 {
			return bad("no ':' after namespace")
		}
		p.Namespace, rest = strings.ReplaceAll(rest[:c], "/", `\`), rest[c+1:]
		if p.Server == "" || p.Namespace == "" {
			return bad("empty server or namespace")
		}
	} else if c := strings.IndexByte(rest, ':'); c >= 0 && !strings.ContainsAny(rest[:c], `."=`) {
		if c == 0 {
			return bad("empty namespace")
		}
		p.Namespace, rest = strings.ReplaceAll(rest[:c], "/", `\`), rest[c+1:]
	}
	dot := strings.IndexAny(rest, ".=")
	if dot < 0 {
		p.Class = rest
		if !validName(p.Class) {
			return bad("invalid class name")
		}
		return p, nil
	}
	p.Class = rest[:dot]
	if !validName(p.Class) {
		return bad("invalid class name")
	}
	if rest[dot] == '=' { // singleton: Class=@
		if rest[dot+1:] != "@" {
			return bad("want Class=@")
		}
		p.Singleton = true
		return p, nil
	}
	rest = rest[dot+1:]
	for {
		eq := strings.IndexByte(rest, '=')
		if eq < 0 || !validName(rest[:eq]) {
			return bad("want Key=Value")
		}
		k := Key{Name: rest[:eq]}
		rest = rest[eq+1:]
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i, closed := 1, false
			for ; i < len(rest); i++ {
				c := rest[i]
				if c == '\\' && i+1 < len(rest) {
					i++
					b.WriteByte(rest[i])
					continue
				}
				if c == '"' {
					closed = true
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return bad("unterminated quoted key value")
			}
			k.Value, rest = b.String(), rest[i+1:]
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			k.Value, rest = rest[:end], rest[end:]
		}
		p.Keys = append(p.Keys, k)
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return bad(fmt.Sprintf("unexpected %q after key %s", rest[0], k.Name))
		}
		rest = rest[1:]
	}
	return p, nil
}

// validName reports whether s can name a class or property: letters of any
// script, digits and '_', not starting with a digit. Checking it keeps
// arbitrary text ("not a path") from passing for a class path.
func validName(s string) bool {
	for i, r := range s {
		if r != '_' && !unicode.IsLetter(r) && (i == 0 || !unicode.IsDigit(r)) {
			return false
		}
	}
	return s != ""
}

// SamePath reports whether two object paths name the same object: class
// and key names compare case-insensitively, the namespace is ignored when
// either side leaves it out, the server is always ignored ("." and the host
// name are the same machine), and key values compare case-insensitively,
// as WMI compares string keys.
func SamePath(a, b string) bool {
	pa, err1 := ParsePath(a)
	pb, err2 := ParsePath(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	if !strings.EqualFold(pa.Class, pb.Class) || len(pa.Keys) != len(pb.Keys) || pa.Singleton != pb.Singleton {
		return false
	}
	if pa.Namespace != "" && pb.Namespace != "" && !strings.EqualFold(pa.Namespace, pb.Namespace) {
		return false
	}
	for _, k := range pa.Keys {
		i := slices.IndexFunc(pb.Keys, func(o Key) bool { return strings.EqualFold(o.Name, k.Name) })
		if i < 0 || !strings.EqualFold(pb.Keys[i].Value, k.Value) {
			return false
		}
	}
	return true
}
