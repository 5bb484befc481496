package quickbi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"

	"github.com/permsync/permsync/internal/canon"
)

// A rule's content is JSON text on the wire (ruleContentJson); the files
// write it as a YAML mapping or as that JSON text. Both sides are compared
// in one canonical form: the text parsed, object keys sorted, no
// insignificant whitespace, and numbers written one way (1, 1.0 and 1e0
// are 1), so that a raw string and a mapping that mean the same compare
// equal, and what permsync writes reads back as what the files say.

// NormalizeContent returns a rule content, given as JSON text (a string,
// []byte or json.RawMessage) or as a value (a YAML mapping), in canonical
// JSON. It must be a JSON object.
func NormalizeContent(v any) (json.RawMessage, error) {
	var text []byte
	switch x := v.(type) {
	case nil:
		return nil, errors.New("no content")
	case string:
		text = []byte(x)
	case []byte:
		text = x
	case json.RawMessage:
		text = x
	default:
		b, err := json.Marshal(jsonable(x))
		if err != nil {
			return nil, fmt.Errorf("content: %w", err)
		}
		text = b
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var obj any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("content is not JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("content is not JSON: text after the value")
	}
	if _, ok := obj.(map[string]any); !ok {
		return nil, errors.New("content is not a JSON object")
	}
	return canon.JSON(normalNumbers(obj)), nil
}

// jsonable turns maps with non-string keys (as some YAML decoders give)
// into maps with string keys.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonable(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonable(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	}
	return v
}

var integer = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// normalNumbers writes every number one way: integers as written, other
// numbers as the shortest form of their float64 value (an integral one
// within 2^53 as an integer).
func normalNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalNumbers(e)
		}
		return x
	case json.Number:
		s := string(x)
		if integer.MatchString(s) {
			return x
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return x
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return json.Number(strconv.FormatInt(int64(f), 10))
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
	}
	return v
}

// liveContent is a rule's content as the server holds it, canonical; a
// text that is no JSON object is kept as a JSON string, which equals no
// desired content.
func liveContent(text string) json.RawMessage {
	if c, err := NormalizeContent(text); err == nil {
		return c
	}
	return canon.JSON(text)
}
