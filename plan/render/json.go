package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/plan"
)

// JSONFormatVersion is the version of the JSON plan schema described in
// docs/plan-json.md. It changes only when a field changes meaning or goes
// away; new fields may appear within a version.
const JSONFormatVersion = "1.0"

// JSONOptions configure JSON. There are none yet.
type JSONOptions struct{}

type jsonPlan struct {
	Applicable    bool                     `json:"applicable"`
	Changes       []jsonChange             `json:"changes"`
	CountsByKind  map[plan.Kind]jsonCounts `json:"counts_by_kind"`
	FormatVersion string                   `json:"format_version"`
	Refusals      []string                 `json:"refusals"`
	Summary       jsonCounts               `json:"summary"`
	// Targets are the --target the plan is limited to; absent when it
	// is not.
	Targets  []string `json:"targets,omitempty"`
	Warnings []string `json:"warnings"`
}

// jsonChange fields are in alphabetical order, so output keys are sorted.
type jsonChange struct {
	Action plan.Action    `json:"action"`
	After  map[string]any `json:"after"`
	Before map[string]any `json:"before"`
	// BeforeUnknown names the attributes the state knows only by
	// fingerprint: Before does not hold them.
	BeforeUnknown []string  `json:"before_unknown,omitempty"`
	Key           string    `json:"key"`
	Kind          plan.Kind `json:"kind"`
	Reason        string    `json:"reason"`
	Source        string    `json:"source"`
}

type jsonCounts struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
	NoOp    int `json:"no_op"`
	Replace int `json:"replace"`
}

func toJSONCounts(t Tally) jsonCounts {
	return jsonCounts{Add: t.Add, Change: t.Change, Destroy: t.Destroy, NoOp: t.NoOp, Replace: t.Replace}
}

// JSON writes the plan as indented JSON with sorted keys, in the schema of
// docs/plan-json.md. Changes are in plan (apply) order; every kind of
// diff.Kinds appears in counts_by_kind. The output is byte-stable: the same
// plan gives the same bytes.
func JSON(w io.Writer, p *plan.Plan, _ JSONOptions) error {
	if err := checkActions(p); err != nil {
		return err
	}
	s := Counts(p)
	out := jsonPlan{
		Applicable:    s.Applicable(),
		Changes:       []jsonChange{},
		CountsByKind:  map[plan.Kind]jsonCounts{},
		FormatVersion: JSONFormatVersion,
		Refusals:      []string{},
		Summary:       toJSONCounts(s.Tally),
		Warnings:      []string{},
	}
	if p != nil {
		for _, k := range p.Kinds {
			out.CountsByKind[k] = toJSONCounts(s.ByKind[k])
		}
	}
	for k, t := range s.ByKind {
		out.CountsByKind[k] = toJSONCounts(t)
	}
	if p != nil {
		out.Refusals = append(out.Refusals, p.RefusalMessages()...)
		out.Warnings = append(out.Warnings, p.Warnings...)
		out.Targets = p.Targets
		for i, c := range p.Changes {
			if c.Action == plan.NoOp {
				continue
			}
			// Before shows the last-applied values of write-only
			// attributes too, from the state.
			before, err := jsonAttrs(c.Shown())
			if err != nil {
				return fmt.Errorf("render: change %d (%s %s): before: %w", i, c.Kind, c.Key, err)
			}
			after, err := jsonAttrs(c.After)
			if err != nil {
				return fmt.Errorf("render: change %d (%s %s): after: %w", i, c.Kind, c.Key, err)
			}
			out.Changes = append(out.Changes, jsonChange{Action: c.Action, Kind: c.Kind, Key: c.Key,
				Before: before, BeforeUnknown: c.BeforeUnknown, After: after, Reason: c.Reason, Source: c.Source})
		}
	}
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	e.SetIndent("", "  ")
	if err := e.Encode(out); err != nil {
		return fmt.Errorf("render: encode JSON plan: %w", err)
	}
	// The strings are the same once decoded; printed, they hold no
	// bidirectional override or C1 control, and no workflow command.
	if _, err := w.Write(textsafe.JSON(buf.Bytes())); err != nil {
		return fmt.Errorf("render: write JSON plan: %w", err)
	}
	return nil
}

// jsonAttrs decodes attribute values so that they are re-encoded with
// sorted keys and the output's indentation; numbers keep their digits.
func jsonAttrs(a plan.Attrs) (map[string]any, error) {
	if a == nil {
		return nil, nil
	}
	out := make(map[string]any, len(a))
	for name, raw := range a {
		v, ok := decode(raw)
		if !ok {
			return nil, fmt.Errorf("attribute %q is not valid JSON", name)
		}
		out[name] = v
	}
	return out, nil
}
