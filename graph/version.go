package graph

import (
	"crypto/sha256"
	"encoding/hex"
)

// SchemaVersion is a hash of the schema: cache keys include it, so a
// deploy that changes the schema never reads answers cached under the old.
func SchemaVersion() string {
	h := sha256.New()
	for _, s := range sources {
		h.Write([]byte(s.Input))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
