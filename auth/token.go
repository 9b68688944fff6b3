package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// A token reads hvp_<id>_<secret>: the prefix makes a leaked token easy to
// spot (secret scanners match it), the id names it in lists, logs and
// audit lines without revealing it, and the secret carries 256 bits of
// randomness (security-anchors T5 asks for at least 128).
const (
	tokenPrefix = "hvp_"
	idBytes     = 6  // 48 bits: an id, not a secret
	secretBytes = 32 // 256 bits
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return strings.ToLower(b32.EncodeToString(b)), nil
}

// newToken returns a fresh id and the full token string.
func newToken() (id, token string, err error) {
	if id, err = randomString(idBytes); err != nil {
		return "", "", err
	}
	secret, err := randomString(secretBytes)
	if err != nil {
		return "", "", err
	}
	return id, tokenPrefix + id + "_" + secret, nil
}

// splitToken returns the id and secret of a well-formed token.
func splitToken(tok string) (id, secret string, ok bool) {
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	if !ok {
		return "", "", false
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || id == "" || len(secret) < 26 { // 26 base32 characters = 128 bits
		return "", "", false
	}
	return id, secret, true
}

// hashSecret is what the store keeps. A token's secret is random and long,
// so a plain SHA-256 is enough (a slow password hash guards low-entropy
// secrets, which these are not).
func hashSecret(secret string) string {
	d := secretDigest(secret)
	return string(d[:])
}

// secretMatches compares in constant time.
func secretMatches(secret, storedHash string) bool {
	got := secretDigest(secret)
	var want [len(got)]byte
	copy(want[:], storedHash)
	return len(storedHash) == len(got) && subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// secretDigest is the SHA-256 of a secret, in hex, made on the stack:
// every request checks a token (ours have 52 characters).
func secretDigest(secret string) (d [2 * sha256.Size]byte) {
	var in [64]byte
	var sum [sha256.Size]byte
	if len(secret) <= len(in) {
		sum = sha256.Sum256(in[:copy(in[:], secret)])
	} else {
		sum = sha256.Sum256([]byte(secret))
	}
	hex.Encode(d[:], sum[:])
	return d
}

// TokenID returns the public id of a token string, or "" if it is not one
// of ours. Safe to log.
func TokenID(tok string) string {
	id, _, ok := splitToken(tok)
	if !ok {
		return ""
	}
	return id
}
