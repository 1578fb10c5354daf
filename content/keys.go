package content

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// EditorKey is a stored API key: a public id to find it by and the SHA-256
// of its secret. The secret itself is shown once and never stored.
type EditorKey struct {
	ID         string
	Name       string
	SecretHash []byte
	CreatedAt  time.Time
}

const keyPrefix = "byl_"

// NewEditorKey makes a key named name. It returns the token to hand to the
// editor ("byl_<id>_<secret>") and the record to store.
func NewEditorKey(name string, now time.Time) (token string, key EditorKey, err error) {
	idb := make([]byte, 6)
	sec := make([]byte, 32)
	if _, err = rand.Read(idb); err != nil {
		return "", key, err
	}
	if _, err = rand.Read(sec); err != nil {
		return "", key, err
	}
	id := hex.EncodeToString(idb)
	secret := base64.RawURLEncoding.EncodeToString(sec)
	h := sha256.Sum256([]byte(secret))
	return keyPrefix + id + "_" + secret, EditorKey{ID: id, Name: name, SecretHash: h[:], CreatedAt: now}, nil
}

// splitToken returns a token's id and secret.
func splitToken(token string) (id, secret string, ok bool) {
	rest, ok := strings.CutPrefix(token, keyPrefix)
	if !ok {
		return "", "", false
	}
	id, secret, ok = strings.Cut(rest, "_")
	return id, secret, ok && len(id) == 12 && secret != ""
}

// matches compares the secret's hash in constant time.
func (k *EditorKey) matches(secret string) bool {
	h := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(h[:], k.SecretHash) == 1
}
