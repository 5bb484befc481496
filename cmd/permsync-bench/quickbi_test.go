package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProviderFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		rest []string
		name string
	}{
		{[]string{"--size", "S"}, []string{"--size", "S"}, ""},
		{[]string{"--provider", "quickbi", "--size", "S"}, []string{"--size", "S"}, "quickbi"},
		{[]string{"--size", "M", "-provider=youdata"}, []string{"--size", "M"}, "youdata"},
		{[]string{"--provider"}, []string{"--provider"}, "-"},
		{[]string{"--", "--provider", "quickbi"}, []string{"--", "--provider", "quickbi"}, ""},
	} {
		rest, name := providerFlag(c.args)
		if name != c.name || !cmp.Equal(rest, c.rest) {
			t.Errorf("providerFlag(%q) = %q, %q; want %q, %q", c.args, rest, name, c.rest, c.name)
		}
	}
}

func TestQuickBIFlags(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"--provider", "tableau"}, nil, &stderr, &stderr); code != 2 || !strings.Contains(stderr.String(), `--provider "tableau"`) {
		t.Errorf("an unknown provider: exit %d, %q", code, stderr.String())
	}
	for _, args := range [][]string{{"--size", "XL"}, {"--change", "2"}, {"--json", "--markdown"}, {"--child"}} {
		stderr.Reset()
		if code := run(context.Background(), append([]string{"--provider", "quickbi"}, args...), nil, &stderr, &stderr); code != 2 {
			t.Errorf("%q: exit %d (%s), want 2", args, code, stderr.String())
		}
	}
	o, err := parseQuickBIFlags([]string{"--size", "s,l", "--latency", "0s"}, &stderr)
	if err != nil || len(o.sizes) != 2 || o.sizes[0].Name != "S" || o.sizes[1].Name != "L" || o.latency != 0 {
		t.Errorf("--size s,l --latency 0s: %+v, %v", o, err)
	}
}
