package wmi

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The CIM-XML here follows what SWbemObject.GetText_(1) writes on a
// Hyper-V host (testdata/*.xml; docs/HYPERV.md#embedded-instances, #references):
//
//   - the system properties come first, with CLASSORIGIN="___SYSTEM";
//   - then the class's properties in case-insensitive alphabetical order,
//     each with CLASSORIGIN and, when inherited or not set, PROPAGATED;
//   - NULL is a property without VALUE (PROPERTY.ARRAY: without
//     VALUE.ARRAY); an empty array is a VALUE.ARRAY without VALUE;
//   - reference properties are PROPERTY.REFERENCE holding a
//     VALUE.REFERENCE with the path broken into elements, as WMI's own
//     converter does (reference arrays use its PROPERTY.REFARRAY
//     extension). Hyper-V's path-holding properties of embedded instances
//     (SnapshotVirtualSystem, HostResource[], ...) are declared string, so
//     they stay plain strings;
//   - an embedded object is a string property marked EmbeddedObject="object"
//     whose value is the nested INSTANCE, escaped (DSP0201 2.2+).
//
// No XML declaration and no whitespace between elements.

// systemOrigin is the CLASSORIGIN WMI writes on system properties.
const systemOrigin = "___SYSTEM"

// maxEmbedDepth bounds the nesting of embedded objects, so that hostile
// input cannot recurse without end.
const maxEmbedDepth = 32

// EncodeInstance writes o as a CIM-XML (DTD 2.0) INSTANCE element, the form
// SWbemObject.GetText_(1) produces and that embedded-instance parameters
// (ExportSettingData, ResourceSettings[], SystemSettings, ...) take.
//
// The system properties are derived from o.Path, o.SuperClass and
// o.Derivation; the properties are written sorted by name, with
// CLASSORIGIN defaulting to o.Class. Failures (an invalid path, a value of
// the wrong type, text XML cannot carry) are *Error with HResult
// WBEMInvalidParameter.
func EncodeInstance(o *Object) (string, error) {
	var b strings.Builder
	if err := encodeInstance(&b, o, 0); err != nil {
		class := ""
		if o != nil {
			class = o.Class
		}
		return "", &Error{Op: "EncodeInstance", Path: class, HResult: WBEMInvalidParameter, Msg: err.Error()}
	}
	return b.String(), nil
}

func encodeInstance(b *strings.Builder, o *Object, depth int) error {
	if o == nil {
		return errors.New("nil object")
	}
	if depth > maxEmbedDepth {
		return errors.New("embedded objects nested too deeply")
	}
	if o.Class == "" {
		return errors.New("object has no class")
	}
	var path ObjectPath
	if o.Path != "" {
		p, err := ParsePath(o.Path)
		if err != nil {
			return fmt.Errorf("__PATH %q: %v", o.Path, err)
		}
		path = p
	}
	props, err := sortedProps(o.Props)
	if err != nil {
		return err
	}
	for _, s := range append([]string{o.Class, o.Path, o.SuperClass}, o.Derivation...) {
		if err := checkText(s); err != nil {
			return fmt.Errorf("class or path %q: %v", s, err)
		}
	}

	b.WriteString(`<INSTANCE CLASSNAME="`)
	escapeAttr(b, o.Class)
	b.WriteString(`">`)

	dynasty := o.Class
	if len(o.Derivation) > 0 {
		dynasty = o.Derivation[len(o.Derivation)-1]
	}
	sysString(b, "__PATH", o.Path)
	sysString(b, "__NAMESPACE", path.Namespace)
	sysString(b, "__SERVER", path.Server)
	b.WriteString(`<PROPERTY.ARRAY NAME="__DERIVATION" CLASSORIGIN="` + systemOrigin + `" TYPE="string"><VALUE.ARRAY>`)
	for _, d := range o.Derivation {
		writeValue(b, d)
	}
	b.WriteString(`</VALUE.ARRAY></PROPERTY.ARRAY>`)
	sysSint32(b, "__PROPERTY_COUNT", len(props))
	sysString(b, "__RELPATH", path.RelPath()) // "" when there is no path
	sysString(b, "__DYNASTY", dynasty)
	sysString(b, "__SUPERCLASS", o.SuperClass)
	sysString(b, "__CLASS", o.Class)
	sysSint32(b, "__GENUS", 2) // 2 = WBEM_GENUS_INSTANCE

	for _, p := range props {
		if err := encodeProperty(b, o, p, depth); err != nil {
			return fmt.Errorf("property %s: %v", p.Name, err)
		}
	}
	b.WriteString(`</INSTANCE>`)
	return nil
}

// sortedProps orders properties as WMI writes them: by name, ignoring case.
func sortedProps(props []Property) ([]*Property, error) {
	out := make([]*Property, len(props))
	seen := make(map[string]bool, len(props))
	for i := range props {
		p := &props[i]
		key := strings.ToLower(p.Name)
		switch {
		case p.Name == "":
			return nil, errors.New("property without a name")
		case strings.HasPrefix(p.Name, "__"):
			return nil, fmt.Errorf("property %s: system properties come from the Object fields", p.Name)
		case seen[key]:
			return nil, fmt.Errorf("property %s declared twice", p.Name)
		}
		if err := checkText(p.Name + p.Origin); err != nil {
			return nil, fmt.Errorf("property %q: %v", p.Name, err)
		}
		seen[key] = true
		out[i] = p
	}
	slices.SortFunc(out, func(a, b *Property) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return out, nil
}

func sysString(b *strings.Builder, name, v string) {
	b.WriteString(`<PROPERTY NAME="` + name + `" CLASSORIGIN="` + systemOrigin + `" TYPE="string">`)
	if v != "" {
		writeValue(b, v)
	}
	b.WriteString(`</PROPERTY>`)
}

func sysSint32(b *strings.Builder, name string, v int) {
	b.WriteString(`<PROPERTY NAME="` + name + `" CLASSORIGIN="` + systemOrigin + `" TYPE="sint32">`)
	writeValue(b, strconv.Itoa(v))
	b.WriteString(`</PROPERTY>`)
}

func encodeProperty(b *strings.Builder, o *Object, p *Property, depth int) error {
	if _, ok := cimTypeNames[p.Type]; !ok {
		return fmt.Errorf("unknown CIM type %d", uint16(p.Type))
	}
	// Convert tolerates loose Go types (an int for a uint16) and yields the
	// canonical ones the formatting below expects.
	v, err := Convert(p.Type, p.Array, p.Value)
	if err != nil {
		return err
	}
	var elem, typeAttr string
	switch {
	case p.Type == CIMReference && p.Array:
		elem = "PROPERTY.REFARRAY"
	case p.Type == CIMReference:
		elem = "PROPERTY.REFERENCE"
	case p.Array:
		elem = "PROPERTY.ARRAY"
	default:
		elem = "PROPERTY"
	}
	switch p.Type {
	case CIMReference: // PROPERTY.REFERENCE has no TYPE
	case CIMObject:
		typeAttr = ` EmbeddedObject="object" TYPE="string"`
	default:
		typeAttr = ` TYPE="` + p.Type.String() + `"`
	}
	origin := p.Origin
	if origin == "" {
		origin = o.Class
	}
	b.WriteString("<" + elem + ` NAME="`)
	escapeAttr(b, p.Name)
	b.WriteString(`" CLASSORIGIN="`)
	escapeAttr(b, origin)
	b.WriteString(`"`)
	if p.Propagated {
		b.WriteString(` PROPAGATED="true"`)
	}
	b.WriteString(typeAttr + ">")

	one := func(x any) error {
		if p.Type == CIMReference {
			return writeReference(b, x.(string))
		}
		s, err := formatScalar(p.Type, x, depth)
		if err == nil {
			writeValue(b, s)
		}
		return err
	}
	switch {
	case v == nil: // NULL: no value element at all
	case !p.Array:
		if err := one(v); err != nil {
			return err
		}
	default:
		start, end := "<VALUE.ARRAY>", "</VALUE.ARRAY>"
		if p.Type == CIMReference {
			start, end = "<VALUE.REFARRAY>", "</VALUE.REFARRAY>"
		}
		b.WriteString(start)
		rv := reflect.ValueOf(v)
		for i := range rv.Len() {
			if err := one(rv.Index(i).Interface()); err != nil {
				return fmt.Errorf("element %d: %v", i, err)
			}
		}
		b.WriteString(end)
	}
	b.WriteString("</" + elem + ">")
	return nil
}

// formatScalar renders one canonical value (see Convert) as VALUE text.
func formatScalar(t CIMType, v any, depth int) (string, error) {
	switch x := v.(type) {
	case string:
		return x, checkText(x)
	case bool:
		if x {
			return "TRUE", nil
		}
		return "FALSE", nil
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case *Object:
		if x == nil {
			return "", errors.New("NULL inside an array")
		}
		var nested strings.Builder
		if err := encodeInstance(&nested, x, depth+1); err != nil {
			return "", fmt.Errorf("embedded %s: %v", x.Class, err)
		}
		return nested.String(), nil
	case uint16:
		if t == CIMChar16 {
			return formatChar16(x), nil
		}
	}
	n, ok := toInt64(v)
	if !ok {
		return "", fmt.Errorf("cannot format %T as %s", v, t)
	}
	return strconv.FormatInt(n, 10), nil
}

// formatChar16 writes a char16 as the character itself (DSP0201). Code
// units that XML cannot carry (control characters, lone surrogates) get
// the \xHHHH escape WMI's converter uses.
func formatChar16(c uint16) string {
	r := rune(c)
	if isXMLChar(r) && !(r >= 0xD800 && r <= 0xDFFF) {
		return string(r)
	}
	return fmt.Sprintf(`\x%04x`, c)
}

// writeReference writes a VALUE.REFERENCE. A path that ParsePath reads and
// String gives back unchanged is broken into INSTANCEPATH/INSTANCENAME
// elements as WMI does; anything else (forward slashes, unquoted numeric
// keys, not a path at all) is kept verbatim in a VALUE, WMI's own fallback,
// so that the string round-trips exactly.
func writeReference(b *strings.Builder, s string) error {
	if err := checkText(s); err != nil {
		return err
	}
	b.WriteString("<VALUE.REFERENCE>")
	p, err := ParsePath(s)
	switch {
	case err != nil || p.String() != s:
		writeValue(b, s)
	case p.Server != "":
		b.WriteString("<" + pathElem(p, "") + "><NAMESPACEPATH><HOST>")
		escapeText(b, p.Server)
		b.WriteString("</HOST>")
		writeNamespace(b, p.Namespace)
		b.WriteString("</NAMESPACEPATH>")
		writeName(b, p)
		b.WriteString("</" + pathElem(p, "") + ">")
	case p.Namespace != "":
		b.WriteString("<" + pathElem(p, "LOCAL") + ">")
		writeNamespace(b, p.Namespace)
		writeName(b, p)
		b.WriteString("</" + pathElem(p, "LOCAL") + ">")
	default:
		writeName(b, p)
	}
	b.WriteString("</VALUE.REFERENCE>")
	return nil
}

func isClassPath(p ObjectPath) bool { return len(p.Keys) == 0 && !p.Singleton }

// pathElem names the (LOCAL)INSTANCEPATH or (LOCAL)CLASSPATH element.
func pathElem(p ObjectPath, prefix string) string {
	if isClassPath(p) {
		return prefix + "CLASSPATH"
	}
	return prefix + "INSTANCEPATH"
}

func writeNamespace(b *strings.Builder, ns string) {
	b.WriteString("<LOCALNAMESPACEPATH>")
	for _, part := range strings.Split(ns, `\`) {
		b.WriteString(`<NAMESPACE NAME="`)
		escapeAttr(b, part)
		b.WriteString(`"/>`)
	}
	b.WriteString("</LOCALNAMESPACEPATH>")
}

// writeName writes CLASSNAME or INSTANCENAME. Keys are all written as
// strings: ObjectPath does not keep whether a key was quoted.
func writeName(b *strings.Builder, p ObjectPath) {
	if isClassPath(p) {
		b.WriteString(`<CLASSNAME NAME="`)
		escapeAttr(b, p.Class)
		b.WriteString(`"/>`)
		return
	}
	b.WriteString(`<INSTANCENAME CLASSNAME="`)
	escapeAttr(b, p.Class)
	b.WriteString(`">`)
	for _, k := range p.Keys { // none for a singleton
		b.WriteString(`<KEYBINDING NAME="`)
		escapeAttr(b, k.Name)
		b.WriteString(`"><KEYVALUE VALUETYPE="string">`)
		escapeText(b, k.Value)
		b.WriteString(`</KEYVALUE></KEYBINDING>`)
	}
	b.WriteString(`</INSTANCENAME>`)
}

func writeValue(b *strings.Builder, s string) {
	b.WriteString("<VALUE>")
	escapeText(b, s)
	b.WriteString("</VALUE>")
}

// Escapers for text and attribute values. Text keeps quotes literal, as
// WMI writes them (\\HOST\ns:Class.Key="..." in __PATH); CR, and in
// attributes also tab and LF, become character references so that a parser
// gives them back instead of normalising them.
var (
	textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;")
	attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
		"\t", "&#x9;", "\n", "&#xA;", "\r", "&#xD;")
)

// escapeAttr writes s as an attribute value.
func escapeAttr(b *strings.Builder, s string) { attrEscaper.WriteString(b, s) }

// escapeText writes s as element content.
func escapeText(b *strings.Builder, s string) { textEscaper.WriteString(b, s) }

// checkText rejects strings that XML 1.0 cannot carry at all, not even as
// character references, rather than let them be mangled on the way.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	for _, r := range s {
		if !isXMLChar(r) {
			return fmt.Errorf("contains %U, which XML 1.0 cannot carry", r)
		}
	}
	return nil
}

// isXMLChar is the Char production of XML 1.0.
func isXMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// DecodeInstance parses a CIM-XML (DTD 2.0) INSTANCE element, bare or
// wrapped in VALUE.NAMEDINSTANCE, VALUE.OBJECT or VALUE.OBJECTWITH(LOCAL)PATH,
// with or without the system properties and whitespace between elements.
//
// Class, Path (from __PATH), SuperClass and Derivation are filled from the
// system properties, which do not appear in Props. Values are converted to
// the declared types; PROPERTY.REFERENCE values become path strings (type
// CIMReference) and EmbeddedObject properties become *Object. Malformed
// input gives an *Error with HResult WBEMInvalidParameter.
func DecodeInstance(s string) (*Object, error) {
	o, err := decodeText(new(decoder), s, 0)
	if err != nil {
		return nil, &Error{Op: "DecodeInstance", Path: "CIM-XML", HResult: WBEMInvalidParameter, Msg: err.Error()}
	}
	return o, nil
}

// node is a generic XML element; CIM-XML needs the document order of
// mixed PROPERTY, PROPERTY.ARRAY and PROPERTY.REFERENCE children, which
// per-element struct fields would lose.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []node     `xml:",any"`
}

func (n *node) name() string { return n.XMLName.Local }

func (n *node) attr(names ...string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Space == "" && slices.Contains(names, a.Name.Local) {
			return a.Value, true
		}
	}
	return "", false
}

// elems returns n's children other than QUALIFIERs (which the object model
// has no place for) and fails on any not in allowed.
func (n *node) elems(allowed ...string) ([]node, error) {
	var out []node
	for _, c := range n.Children {
		switch {
		case c.name() == "QUALIFIER":
		case slices.Contains(allowed, c.name()):
			out = append(out, c)
		default:
			return nil, fmt.Errorf("unexpected <%s> in <%s>", c.name(), n.name())
		}
	}
	return out, nil
}

// text is the content of a VALUE-like element, which must hold no elements.
func (n *node) text() (string, error) {
	if len(n.Children) > 0 {
		return "", fmt.Errorf("<%s> contains <%s>", n.name(), n.Children[0].name())
	}
	return n.Text, nil
}

// decoder is what the levels of one DecodeInstance share.
type decoder struct {
	// parsed counts the bytes given to the XML parser: the input's and
	// each embedded object's text. An embedded text is the decoded content
	// of one VALUE of its parent, so each level parses at most as many
	// bytes as the one above it, and parsed stays below
	// (maxEmbedDepth+1) × len(input): decoding is linear in the input
	// (TestDecodeWorkIsLinear).
	parsed int
}

func decodeText(d *decoder, s string, depth int) (*Object, error) {
	if depth > maxEmbedDepth {
		return nil, errors.New("embedded objects nested too deeply")
	}
	d.parsed += len(s)
	root, err := parseRoot(s)
	if err != nil {
		return nil, err
	}
	switch root.name() {
	case "INSTANCE":
		return decodeInstance(d, root, depth)
	case "VALUE.NAMEDINSTANCE", "VALUE.OBJECT", "VALUE.OBJECTWITHPATH", "VALUE.OBJECTWITHLOCALPATH":
		var inst, name *node
		for i := range root.Children {
			switch c := &root.Children[i]; c.name() {
			case "INSTANCE":
				inst = c
			case "INSTANCENAME", "INSTANCEPATH", "LOCALINSTANCEPATH":
				name = c
			case "CLASS":
				return nil, fmt.Errorf("<%s> holds a class, not an instance", root.name())
			}
		}
		if inst == nil {
			return nil, fmt.Errorf("<%s> has no INSTANCE", root.name())
		}
		o, err := decodeInstance(d, inst, depth)
		if err != nil {
			return nil, err
		}
		if o.Path == "" && name != nil {
			if o.Path, err = decodePath(name); err != nil {
				return nil, err
			}
			// The name becomes __PATH, which must parse like one given
			// as a property (setSystem): <INSTANCENAME CLASSNAME="0"/>
			// would otherwise give "0=@", a path nothing can encode.
			if _, err := ParsePath(o.Path); err != nil {
				return nil, fmt.Errorf("<%s>: %v", name.name(), err)
			}
		}
		return o, nil
	case "CLASS":
		return nil, errors.New("got a CLASS, want an INSTANCE")
	}
	return nil, fmt.Errorf("got <%s>, want <INSTANCE>", root.name())
}

// parseRoot reads the one root element of s, allowing only an XML
// declaration, comments and whitespace around it.
func parseRoot(s string) (*node, error) {
	d := xml.NewDecoder(strings.NewReader(strings.TrimPrefix(s, "\uFEFF")))
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil {
				return nil, fmt.Errorf("second root element <%s>", t.Name.Local)
			}
			root = new(node)
			if err := d.DecodeElement(root, &t); err != nil {
				return nil, fmt.Errorf("not well-formed XML: %v", err)
			}
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return nil, fmt.Errorf("text %q outside the root element", shorten(string(t)))
			}
		}
	}
	if root == nil {
		return nil, errors.New("no INSTANCE element")
	}
	return root, nil
}

func decodeInstance(d *decoder, n *node, depth int) (*Object, error) {
	class, _ := n.attr("CLASSNAME")
	if class == "" {
		return nil, errors.New("INSTANCE without CLASSNAME")
	}
	o := &Object{Class: class}
	props, err := n.elems("PROPERTY", "PROPERTY.ARRAY", "PROPERTY.REFERENCE", "PROPERTY.REFARRAY")
	if err != nil {
		return nil, fmt.Errorf("class %s: %v", class, err)
	}
	seen := make(map[string]bool, len(props))
	for i := range props {
		p, err := decodeProperty(d, &props[i], depth)
		if err != nil {
			return nil, fmt.Errorf("class %s: %v", class, err)
		}
		if strings.HasPrefix(p.Name, "__") {
			if err := setSystem(o, p); err != nil {
				return nil, fmt.Errorf("class %s: %v", class, err)
			}
			continue
		}
		key := strings.ToLower(p.Name)
		if seen[key] {
			return nil, fmt.Errorf("class %s: property %q appears twice", class, p.Name)
		}
		seen[key] = true
		o.Props = append(o.Props, p)
	}
	return o, nil
}

// setSystem takes what the object model keeps from a system property; the
// rest (__SERVER, __RELPATH, ...) is derived from these when encoding.
func setSystem(o *Object, p Property) error {
	switch p.Name {
	case "__PATH", "__SUPERCLASS":
		s, ok := p.Value.(string)
		if p.Value != nil && !ok {
			return fmt.Errorf("system property %s is not a string", p.Name)
		}
		if p.Name == "__SUPERCLASS" {
			o.SuperClass = s
			return nil
		}
		if s != "" {
			if _, err := ParsePath(s); err != nil {
				return fmt.Errorf("__PATH %q: %v", s, err)
			}
		}
		o.Path = s
	case "__DERIVATION":
		d, ok := p.Value.([]string)
		if p.Value != nil && !ok {
			return errors.New("system property __DERIVATION is not a string array")
		}
		o.Derivation = nil // an empty derivation and none are the same
		if len(d) > 0 {
			o.Derivation = d
		}
	}
	return nil
}

func decodeProperty(d *decoder, n *node, depth int) (Property, error) {
	var p Property
	p.Name, _ = n.attr("NAME")
	if p.Name == "" {
		return p, fmt.Errorf("<%s> without NAME", n.name())
	}
	p.Origin, _ = n.attr("CLASSORIGIN")
	if v, ok := n.attr("PROPAGATED"); ok {
		switch strings.ToLower(v) {
		case "true":
			p.Propagated = true
		case "false":
		default:
			return p, fmt.Errorf("property %q: PROPAGATED=%q, want true or false", p.Name, v)
		}
	}
	p.Array = n.name() == "PROPERTY.ARRAY" || n.name() == "PROPERTY.REFARRAY"

	var valueElem, arrayElem string
	switch n.name() {
	case "PROPERTY.REFERENCE", "PROPERTY.REFARRAY":
		p.Type, valueElem, arrayElem = CIMReference, "VALUE.REFERENCE", "VALUE.REFARRAY"
	default:
		typ, _ := n.attr("TYPE")
		t, ok := ParseCIMType(typ)
		if !ok {
			return p, fmt.Errorf("property %q: unknown TYPE %q", p.Name, typ)
		}
		if emb, ok := n.attr("EmbeddedObject", "EMBEDDEDOBJECT"); ok || t == CIMObject {
			if ok && !strings.EqualFold(emb, "object") && !strings.EqualFold(emb, "instance") {
				return p, fmt.Errorf("property %q: EmbeddedObject=%q, want object or instance", p.Name, emb)
			}
			if t != CIMString && t != CIMObject {
				return p, fmt.Errorf("property %q: an embedded object must have TYPE string, not %s", p.Name, typ)
			}
			t = CIMObject
		}
		p.Type, valueElem, arrayElem = t, "VALUE", "VALUE.ARRAY"
	}

	want := valueElem
	if p.Array {
		want = arrayElem
	}
	vals, err := n.elems(want)
	if err != nil {
		return p, fmt.Errorf("property %q: %v", p.Name, err)
	}
	switch {
	case len(vals) > 1:
		return p, fmt.Errorf("property %q: more than one <%s>", p.Name, want)
	case len(vals) == 0:
		return p, nil // NULL
	}

	var raw any
	if !p.Array {
		raw, err = decodeScalar(d, p.Type, &vals[0], depth)
	} else {
		var elems []node
		if elems, err = vals[0].elems(valueElem); err != nil {
			return p, fmt.Errorf("property %q: %v", p.Name, err)
		}
		list := make([]any, len(elems))
		for i := range elems {
			if list[i], err = decodeScalar(d, p.Type, &elems[i], depth); err != nil {
				err = fmt.Errorf("element %d: %v", i, err)
				break
			}
		}
		raw = list
	}
	if err == nil {
		p.Value, err = Convert(p.Type, p.Array, raw)
	}
	if err != nil {
		return p, fmt.Errorf("property %q (%s): %v", p.Name, p.Type, err)
	}
	return p, nil
}

// decodeScalar reads one VALUE (or VALUE.REFERENCE) into a Go value that
// Convert accepts for t; integers stay decimal strings for Convert to
// parse and range-check.
func decodeScalar(d *decoder, t CIMType, v *node, depth int) (any, error) {
	if t == CIMReference && v.name() == "VALUE.REFERENCE" {
		return decodeReference(v)
	}
	s, err := v.text()
	if err != nil {
		return nil, err
	}
	trimmed := strings.TrimSpace(s)
	switch t {
	case CIMString, CIMDatetime, CIMReference:
		return s, nil // whitespace in a string is data
	case CIMBoolean:
		switch strings.ToUpper(trimmed) {
		case "TRUE":
			return true, nil
		case "FALSE":
			return false, nil
		}
		return nil, fmt.Errorf("value %q is not TRUE or FALSE", shorten(s))
	case CIMReal32, CIMReal64:
		bits := 64
		if t == CIMReal32 {
			bits = 32
		}
		f, err := strconv.ParseFloat(trimmed, bits)
		if err != nil {
			return nil, fmt.Errorf("value %q is not a %s", shorten(s), t)
		}
		if t == CIMReal32 {
			return float32(f), nil
		}
		return f, nil
	case CIMChar16:
		return parseChar16(s)
	case CIMObject:
		o, err := decodeText(d, s, depth+1)
		if err != nil {
			return nil, fmt.Errorf("embedded object: %v", err)
		}
		return o, nil
	}
	return trimmed, nil
}

// parseChar16 reads the character itself or WMI's \xHHHH escape.
func parseChar16(s string) (uint16, error) {
	if len(s) > 2 && len(s) <= 6 && strings.HasPrefix(s, `\x`) {
		if n, err := strconv.ParseUint(s[2:], 16, 16); err == nil {
			return uint16(n), nil
		}
	}
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 || size != len(s) || r > 0xFFFF || (r == utf8.RuneError && size == 1) {
		return 0, fmt.Errorf("value %q is not a single UCS-2 character", shorten(s))
	}
	return uint16(r), nil
}

// decodeReference turns a VALUE.REFERENCE back into a WMI object path.
func decodeReference(v *node) (string, error) {
	c, err := v.elems("INSTANCEPATH", "LOCALINSTANCEPATH", "INSTANCENAME",
		"CLASSPATH", "LOCALCLASSPATH", "CLASSNAME", "VALUE")
	if err != nil {
		return "", err
	}
	if len(c) != 1 {
		return "", fmt.Errorf("<VALUE.REFERENCE> must hold one path, has %d", len(c))
	}
	if c[0].name() == "VALUE" {
		return c[0].text()
	}
	return decodePath(&c[0])
}

// decodePath reads an INSTANCEPATH, LOCALINSTANCEPATH, INSTANCENAME,
// CLASSPATH, LOCALCLASSPATH or CLASSNAME element.
func decodePath(n *node) (string, error) {
	var p ObjectPath
	var name *node
	switch n.name() {
	case "INSTANCENAME", "CLASSNAME":
		name = n
	case "INSTANCEPATH", "CLASSPATH", "LOCALINSTANCEPATH", "LOCALCLASSPATH":
		want := "NAMESPACEPATH"
		if strings.HasPrefix(n.name(), "LOCAL") {
			want = "LOCALNAMESPACEPATH"
		}
		inner := "INSTANCENAME"
		if strings.HasSuffix(n.name(), "CLASSPATH") {
			inner = "CLASSNAME"
		}
		c, err := n.elems(want, inner)
		if err != nil {
			return "", err
		}
		if len(c) != 2 || c[0].name() != want || c[1].name() != inner {
			return "", fmt.Errorf("<%s> must hold <%s> and <%s>", n.name(), want, inner)
		}
		ns := &c[0]
		if want == "NAMESPACEPATH" {
			parts, err := ns.elems("HOST", "LOCALNAMESPACEPATH")
			if err != nil {
				return "", err
			}
			if len(parts) != 2 || parts[0].name() != "HOST" || parts[1].name() != "LOCALNAMESPACEPATH" {
				return "", errors.New("<NAMESPACEPATH> must hold <HOST> and <LOCALNAMESPACEPATH>")
			}
			host, err := parts[0].text()
			if err != nil {
				return "", err
			}
			p.Server = strings.TrimSpace(host)
			ns = &parts[1]
		}
		names, err := ns.elems("NAMESPACE")
		if err != nil {
			return "", err
		}
		var segs []string
		for _, s := range names {
			seg, _ := s.attr("NAME")
			segs = append(segs, seg)
		}
		p.Namespace = strings.Join(segs, `\`)
		if p.Server != "" && p.Namespace == "" {
			return "", errors.New("<NAMESPACEPATH> without a namespace")
		}
		name = &c[1]
	default:
		return "", fmt.Errorf("<%s> is not a path", n.name())
	}

	if name.name() == "CLASSNAME" {
		p.Class, _ = name.attr("NAME")
	} else {
		p.Class, _ = name.attr("CLASSNAME")
		binds, err := name.elems("KEYBINDING")
		if err != nil {
			return "", err
		}
		p.Singleton = len(binds) == 0 // DSP0201: an INSTANCENAME without keys is a singleton
		for i := range binds {
			k, err := decodeKey(&binds[i])
			if err != nil {
				return "", err
			}
			p.Keys = append(p.Keys, k)
		}
	}
	if p.Class == "" {
		return "", fmt.Errorf("<%s> without a class name", name.name())
	}
	return p.String(), nil
}

func decodeKey(kb *node) (Key, error) {
	k := Key{}
	k.Name, _ = kb.attr("NAME")
	if k.Name == "" {
		return k, errors.New("<KEYBINDING> without NAME")
	}
	c, err := kb.elems("KEYVALUE", "VALUE.REFERENCE")
	if err != nil {
		return k, err
	}
	if len(c) != 1 {
		return k, fmt.Errorf("key %s: want one KEYVALUE or VALUE.REFERENCE", k.Name)
	}
	if c[0].name() == "VALUE.REFERENCE" {
		// A key that is itself a reference (association keys).
		k.Value, err = decodeReference(&c[0])
		return k, err
	}
	if k.Value, err = c[0].text(); err != nil {
		return k, err
	}
	if vt, _ := c[0].attr("VALUETYPE"); vt == "numeric" || vt == "boolean" {
		k.Value = strings.TrimSpace(k.Value)
	}
	return k, nil
}

// shorten keeps error messages readable when a value is huge.
func shorten(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
