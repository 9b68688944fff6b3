package auth

import "strings"

// Role is a set of permissions; each role includes the ones below it.
type Role string

const (
	Reader   Role = "reader"
	Operator Role = "operator"
	Admin    Role = "admin"
)

var roleRank = map[Role]int{Reader: 1, Operator: 2, Admin: 3}

// RoleNames lists the roles, weakest first (for "allowed" in errors).
func RoleNames() []string { return []string{string(Reader), string(Operator), string(Admin)} }

// ParseRole accepts a role name (case-insensitive).
func ParseRole(s string) (Role, bool) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	_, ok := roleRank[r]
	return r, ok
}

// Includes reports whether r grants everything need grants. An unknown
// role grants nothing (deny by default).
func (r Role) Includes(need Role) bool {
	have, ok := roleRank[r]
	want, known := roleRank[need]
	return ok && known && have >= want
}
