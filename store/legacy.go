package store

import (
	"encoding/json"

	"oneonone/calendar"
)

// How schema 2 and older stored objects and occurrences: JSON, the data
// of an object in base64 inside it. The migration to schema 3 and Check of
// an older file read them; nothing writes them.

// legacyObject is the value of an object before schema 3.
type legacyObject struct {
	ETag string `json:"etag"`
	Data []byte `json:"data"`
}

// decodeLegacyObject reads an object's value of schema 2 or older.
func decodeLegacyObject(v []byte) (etag string, data []byte, err error) {
	var so legacyObject
	if err := json.Unmarshal(v, &so); err != nil {
		return "", nil, err
	}
	return so.ETag, so.Data, nil
}

// decodeLegacyOccurrence reads an occurrence's value of schema 2 or older.
func decodeLegacyOccurrence(_, v []byte) (calendar.Occurrence, error) {
	var o calendar.Occurrence
	err := json.Unmarshal(v, &o)
	return o, err
}
