package content

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Cursor is a position in the newest-first order: (published, id). Keyset
// positions stay right while new articles are published above them, where an
// offset would shift.
type Cursor struct {
	PublishedAt time.Time
	ID          int64
}

const cursorVersion = "c1"

// String encodes the cursor opaquely; clients must not build their own.
func (c Cursor) String() string {
	raw := cursorVersion + ":" + strconv.FormatInt(c.PublishedAt.UnixMilli(), 10) + ":" + strconv.FormatInt(c.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseCursor decodes a cursor made by String.
func ParseCursor(s string) (*Cursor, error) {
	bad := Invalid("after", "not a cursor from this API")
	if len(s) > 64 {
		return nil, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != cursorVersion {
		return nil, bad
	}
	ms, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return nil, bad
	}
	return &Cursor{PublishedAt: time.UnixMilli(ms).UTC(), ID: id}, nil
}
