package content

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// EditorKey is a stored API key: a public id to find it by and the SHA-256
// of its secret. The secret itself is shown once and never stored.
type EditorKey struct {
	ID         string
	Name       string
	SecretHash []byte
	CreatedAt  time.Time
	LastUsedAt *time.Time // nil: never used (or not since this was recorded)
	RevokedAt  *time.Time // nil: the key works
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

// keyUseGrain is how stale a key's last-used time may get: Authenticate
// records a use at most once per grain, so a busy editor's mutations do not
// each add a write.
const keyUseGrain = time.Minute

// noteUse records that k was just used, at most once per keyUseGrain. It is
// best effort: a failed stamp must not fail the editor's request.
func (s *Service) noteUse(ctx context.Context, k *EditorKey) {
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	if k.LastUsedAt != nil && now.Sub(*k.LastUsedAt) < keyUseGrain {
		return
	}
	if err := s.store.Keys.TouchKey(ctx, k.ID, now); err == nil {
		k.LastUsedAt = &now
	}
}

// checkKeyName refuses what an operator would not mean as a key's name.
func checkKeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return "", Invalid("name", "must be 1 to 100 characters")
	}
	if hasControl(name) {
		// Names are listed on operators' terminals: no escape sequences.
		return "", Invalid("name", "must not contain control characters")
	}
	return name, nil
}

// Keys lists the editor keys, oldest first, revoked ones included. Their
// secrets are not known: only hashes are stored.
func (s *Service) Keys(ctx context.Context) ([]EditorKey, error) {
	keys, err := s.store.Keys.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("content: keys: %w", err)
	}
	return keys, nil
}

// RevokeKey revokes the key with the public id (or the key a whole token
// names, for an operator holding a leaked token), and returns it. The next
// request with it is refused: keys are checked against the store on every
// request, never cached. Revoking a revoked key keeps its first revocation
// time. An unknown id is a NotFoundError.
func (s *Service) RevokeKey(ctx context.Context, id string) (*EditorKey, error) {
	if tid, _, ok := splitToken(id); ok {
		id = tid
	}
	if !validKeyID(id) {
		return nil, Invalid("id", "%q is not a key id (12 hex digits, as byline keys list shows)", id)
	}
	if err := s.store.Keys.RevokeKey(ctx, id, s.cfg.Now().UTC().Truncate(time.Millisecond)); err != nil {
		if IsNotFound(err) {
			return nil, err
		}
		return nil, fmt.Errorf("content: revoke key %s: %w", id, err)
	}
	k, err := s.store.Keys.Key(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("content: revoke key %s: read back: %w", id, err)
	}
	return k, nil
}

// validKeyID reports whether id is a key's public id: 12 lower-case hex
// digits.
func validKeyID(id string) bool {
	if len(id) != 12 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
