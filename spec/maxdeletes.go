package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// DefaultMaxDeletes is the cap used when settings.maxDeletes is absent: 10%
// of what exists of a kind (inside a project: of that kind in that
// project, bindings emptied lists remove included), at least 1.
var DefaultMaxDeletes = MaxDeletes{Share: 10, Percent: true}

// ParseMaxDeletes parses "10" (a count, >= 0) or "10%" (a share of what
// exists of a kind, 0 to 100; fractions allowed).
func ParseMaxDeletes(s string) (MaxDeletes, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return MaxDeletes{}, fmt.Errorf("maxDeletes share %q is not a number followed by %%", s)
		}
		if f < 0 || f > 100 {
			return MaxDeletes{}, fmt.Errorf("maxDeletes share %s is out of range (0%% to 100%%)", s)
		}
		return MaxDeletes{Share: f, Percent: true}, nil
	}
	n, err := strconv.ParseInt(s, 10, 0)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return MaxDeletes{}, fmt.Errorf("maxDeletes %s is out of range (a count must be 0 or more and fit in an int)", s)
		}
		if _, ferr := strconv.ParseFloat(s, 64); ferr == nil {
			return MaxDeletes{}, fmt.Errorf("maxDeletes %q: a count must be a whole number (or write a share like 10%%)", s)
		}
		return MaxDeletes{}, fmt.Errorf("maxDeletes %q is neither a count (10) nor a share (10%%)", s)
	}
	if n < 0 {
		return MaxDeletes{}, fmt.Errorf("maxDeletes %d is out of range (a count must be 0 or more)", n)
	}
	return MaxDeletes{Count: int(n)}, nil
}

// String renders the value as it is written in YAML: "10" or "10%".
func (m MaxDeletes) String() string {
	if m.Percent {
		return strconv.FormatFloat(m.Share, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(m.Count)
}

// Limit is the number of removals allowed among total existing of a kind.
// A nil receiver means DefaultMaxDeletes. A share rounds down but allows at
// least 1 deletion unless it is 0%.
func (m *MaxDeletes) Limit(total int) int {
	if m == nil {
		m = &DefaultMaxDeletes
	}
	if !m.Percent {
		return m.Count
	}
	if m.Share <= 0 {
		return 0
	}
	// The epsilon absorbs the error of a decimal share in binary floating
	// point: 4.6% of 1500 is 69, not 68.99999999999999.
	n := int(math.Floor(float64(total)*m.Share/100 + 1e-9))
	return max(n, 1)
}

// check reports a value out of range, for values not built by
// ParseMaxDeletes.
func (m MaxDeletes) check() error {
	if m.Percent {
		if m.Share < 0 || m.Share > 100 || math.IsNaN(m.Share) {
			return fmt.Errorf("maxDeletes share %s is out of range (0%% to 100%%)", m)
		}
		return nil
	}
	if m.Count < 0 {
		return fmt.Errorf("maxDeletes %d is out of range (a count must be 0 or more)", m.Count)
	}
	return nil
}

// MarshalJSON writes a count as a number and a share as "10%".
func (m MaxDeletes) MarshalJSON() ([]byte, error) {
	if m.Percent {
		return json.Marshal(m.String())
	}
	return json.Marshal(m.Count)
}

// UnmarshalJSON reads a number (a count) or a string: "10" or "10%".
func (m *MaxDeletes) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else {
		s = string(b)
	}
	v, err := ParseMaxDeletes(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}
