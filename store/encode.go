package store

import (
	"encoding/json"
	"fmt"

	"oneonone/calendar"
)

// The encodings of the records that are many: calendar objects and
// occurrences. Every read and write of them goes through these functions.

// storedObject is the value of an object; its href is in the key.
type storedObject struct {
	ETag string `json:"etag"`
	Data []byte `json:"data"`
}

// encodeObject is the value stored for an object.
func encodeObject(etag string, data []byte) ([]byte, error) {
	return json.Marshal(storedObject{ETag: etag, Data: data})
}

// decodeObject reads a value of encodeObject.
func decodeObject(v []byte) (etag string, data []byte, err error) {
	var so storedObject
	if err := json.Unmarshal(v, &so); err != nil {
		return "", nil, err
	}
	return so.ETag, so.Data, nil
}

// decodeObjectETag reads only the ETag of a value of encodeObject.
func decodeObjectETag(v []byte) (string, error) {
	var so struct {
		ETag string `json:"etag"`
	}
	if err := json.Unmarshal(v, &so); err != nil {
		return "", err
	}
	return so.ETag, nil
}

// encodeOccurrence is the value stored for an occurrence, under the key
// series ID \x00 o.Key().
func encodeOccurrence(o calendar.Occurrence) ([]byte, error) {
	v, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("encode occurrence %s of %s: %w", o.Key(), o.SeriesID, err)
	}
	return v, nil
}

// decodeOccurrence reads the occurrence stored as v under key k.
func decodeOccurrence(k, v []byte) (calendar.Occurrence, error) {
	var o calendar.Occurrence
	err := json.Unmarshal(v, &o)
	return o, err
}
