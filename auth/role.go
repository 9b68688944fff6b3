package auth

import "strings"

// Role is a set of permissions; each role includes the ones below it.
type Role string

const (
	// Grant is the role of an export grant (grant.go): below reader, it
	// reaches only the routes the route table gives to Grant, and only for
	// the one export its GrantScope names.
	Grant    Role = "grant"
	Reader   Role = "reader"
	Operator Role = "operator"
	Admin    Role = "admin"
)

var roleRank = map[Role]int{Grant: 0, Reader: 1, Operator: 2, Admin: 3}

// RoleNames lists the roles a token or certificate subject can be given,
// weakest first (for "allowed" in errors). Grant is not among them: grants
// are made for an export (Store.CreateGrant), never by name.
func RoleNames() []string { return []string{string(Reader), string(Operator), string(Admin)} }

// ParseRole accepts a role name (case-insensitive) of RoleNames.
func ParseRole(s string) (Role, bool) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	_, ok := roleRank[r]
	return r, ok && r != Grant
}

// Includes reports whether r grants everything need grants. An unknown
// role grants nothing (deny by default).
func (r Role) Includes(need Role) bool {
	have, ok := roleRank[r]
	want, known := roleRank[need]
	return ok && known && have >= want
}
