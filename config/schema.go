package config

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"
)

// checkSchema walks the generic decoding of a file against Config's toml
// tags and returns a *FieldError for every unknown key and every value of
// the wrong type, with keys as users write them ("source[0].pasword_env").
// It deletes from raw what it reports (a wrong element of an array of
// values drops the whole array), so that what is left decodes into Config
// without error and the rest of the file can still be validated.
func checkSchema(raw map[string]any) []error {
	var errs []error
	checkTable("", raw, reflect.TypeFor[Config](), &errs)
	return errs
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// tomlFields maps the toml names of t's exported fields to their types.
func tomlFields(t reflect.Type) map[string]reflect.Type {
	m := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	return m
}

func checkTable(prefix string, raw map[string]any, t reflect.Type, errs *[]error) {
	fields := tomlFields(t)
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		key := joinKey(prefix, k)
		ft, ok := fields[k]
		if !ok {
			*errs = append(*errs, &FieldError{Key: key, Msg: "unknown key"})
			delete(raw, k)
			continue
		}
		if !checkValue(key, raw[k], ft, errs) {
			delete(raw, k)
		}
	}
}

// checkValue reports whether v may be kept: false when it reported v, true
// when v decodes (a table's wrong keys are deleted from it in place).
func checkValue(key string, v any, t reflect.Type, errs *[]error) bool {
	bad := func(want string) bool {
		*errs = append(*errs, &FieldError{Key: key, Msg: fmt.Sprintf("expected %s, got %s", want, tomlType(v))})
		return false
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		s, ok := v.(string)
		if !ok {
			return bad(describe(t))
		}
		p := reflect.New(t).Interface().(encoding.TextUnmarshaler)
		if err := p.UnmarshalText([]byte(s)); err != nil {
			*errs = append(*errs, &FieldError{Key: key, Msg: err.Error()})
			return false
		}
		return true
	}
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			return bad(describe(t))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return bad(describe(t))
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, ok := v.(int64)
		if !ok {
			return bad(describe(t))
		}
		if t.Kind() == reflect.Int32 && (n < math.MinInt32 || n > math.MaxInt32) {
			*errs = append(*errs, &FieldError{Key: key, Msg: fmt.Sprintf("%d is out of range", n)})
			return false
		}
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return bad(describe(t))
		}
		checkTable(key, m, t, errs)
	case reflect.Slice:
		elem := t.Elem()
		var items []any
		switch a := v.(type) {
		case []any:
			items = a
		case []map[string]any:
			for _, m := range a {
				items = append(items, m)
			}
		default:
			return bad(describe(t))
		}
		keep := true
		for i, item := range items {
			if !checkValue(fmt.Sprintf("%s[%d]", key, i), item, elem, errs) {
				keep = false // dropping one element would renumber the rest
			}
		}
		return keep
	default:
		panic("config: field " + key + " has an unsupported kind " + t.Kind().String())
	}
	return true
}

// describe names what a field of type t expects.
func describe(t reflect.Type) string {
	if t == reflect.TypeFor[Duration]() {
		return `a duration string like "5m" or "14d"`
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Struct:
		return "a table"
	case reflect.Slice:
		if e := t.Elem(); e.Kind() == reflect.Struct && !reflect.PointerTo(e).Implements(textUnmarshaler) {
			return "an array of tables"
		}
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(describe(t.Elem()), "a "), "an ") + "s"
	}
	return t.String()
}

// tomlType names the TOML type of a decoded value.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date-time"
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "an array"
	}
	return fmt.Sprintf("%T", v)
}

// joinKey appends k to a dotted key, quoting it when it is not a bare key.
func joinKey(prefix, k string) string {
	if !bareKey(k) {
		k = fmt.Sprintf("%q", k)
	}
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

func bareKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
