package embed

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret("tok-123456")
	c := Credential{Profile: "p", Value: s, URL: NewSecret("https://bi/x?token=tok-123456")}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outs := []string{string(b), fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x", c, c, c, s, s, s), fmt.Sprintf("%#v", s)}
	for _, o := range outs {
		if strings.Contains(o, "tok-123456") {
			t.Errorf("the secret shows: %s", o)
		}
	}
	if s.Reveal() != "tok-123456" {
		t.Error("Reveal lost the value")
	}
}

func TestBindViewer(t *testing.T) {
	for _, c := range []struct {
		viewer string
		vars   map[string]string
		want   string
		err    error
	}{
		{"bob", nil, "bob", nil},
		{"bob", map[string]string{"user": "x"}, "", ErrVariables},
		{"${user}", map[string]string{"user": "alice"}, "alice", nil},
		{"${user}", nil, "", ErrVariables},
		{"${user}", map[string]string{"user": "a\nb"}, "", ErrVariables},
		{"${user}", map[string]string{"user": "a", "extra": "b"}, "", ErrVariables},
	} {
		got, err := bindViewer("p", c.viewer, c.vars)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("bindViewer(%q, %v) = %q, %v; want %q, %v", c.viewer, c.vars, got, err, c.want, c.err)
		}
	}
}
