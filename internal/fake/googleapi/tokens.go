package googleapi

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/fnv"
)

// Tokens are opaque to clients, as Google's are. Inside, they are a few
// protobuf-style varint fields, base64-encoded like Google's sync tokens
// ("CPDAlvWDx70CEPDAlvWDx70CGAU="). Each carries the server's random nonce,
// so a token from another Server (or a made-up one) is rejected.

// syncToken marks a point in one calendar's change history.
type syncToken struct {
	seq   uint64 // changes with a larger sequence number are "since the token"
	epoch uint64 // InvalidateSyncTokens bumps the server's epoch
	cal   uint64 // which calendar
	nonce uint64 // which server
}

// pageToken continues one events.list query.
type pageToken struct {
	cursor   uint64 // index in the calendar's creation order to go on from
	snapshot uint64 // the calendar's change sequence when the query began
	since    uint64 // 0: a full list; else 1 + the sync token's sequence
	epoch    uint64
	cal      uint64
	nonce    uint64
}

func calendarKey(id string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return h.Sum64()
}

func encodeFields(fields ...uint64) []byte {
	var b []byte
	for i, v := range fields {
		b = append(b, byte((i+1)<<3)) // field number i+1, wire type varint
		b = binary.AppendUvarint(b, v)
	}
	return b
}

var errBadToken = errors.New("malformed token")

func decodeFields(b []byte, n int) ([]uint64, error) {
	out := make([]uint64, n)
	for i := range n {
		if len(b) == 0 || b[0] != byte((i+1)<<3) {
			return nil, errBadToken
		}
		v, k := binary.Uvarint(b[1:])
		if k <= 0 {
			return nil, errBadToken
		}
		out[i] = v
		b = b[1+k:]
	}
	if len(b) != 0 {
		return nil, errBadToken
	}
	return out, nil
}

func (t syncToken) String() string {
	return base64.StdEncoding.EncodeToString(encodeFields(t.seq, t.epoch, t.cal, t.nonce))
}

func parseSyncToken(s string) (syncToken, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return syncToken{}, errBadToken
	}
	f, err := decodeFields(b, 4)
	if err != nil {
		return syncToken{}, err
	}
	return syncToken{seq: f[0], epoch: f[1], cal: f[2], nonce: f[3]}, nil
}

func (t pageToken) String() string {
	return base64.RawURLEncoding.EncodeToString(encodeFields(t.cursor, t.snapshot, t.since, t.epoch, t.cal, t.nonce))
}

func parsePageToken(s string) (pageToken, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return pageToken{}, errBadToken
	}
	f, err := decodeFields(b, 6)
	if err != nil {
		return pageToken{}, err
	}
	return pageToken{cursor: f[0], snapshot: f[1], since: f[2], epoch: f[3], cal: f[4], nonce: f[5]}, nil
}
