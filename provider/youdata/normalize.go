package youdata

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/spec"
)

// TimeLayout is the form of times in attributes and in the files.
const TimeLayout = "2006-01-02 15:04:05"

// serverZone is the server's local time, UTC+08:00.
var serverZone = time.FixedZone("UTC+08:00", 8*3600)

// NormalizeTime converts an expiry to TimeLayout in UTC+08:00. It accepts
// TimeLayout itself and the server's ISO form ("2025-07-24T16:00:00.000Z");
// anything else is returned unchanged, so it still compares as different.
func NormalizeTime(s string) string {
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation(TimeLayout, s, serverZone); err == nil {
		return t.Format(TimeLayout)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.In(serverZone).Format(TimeLayout)
	}
	return s
}

// ServerTime converts a TimeLayout time to the ISO UTC form the server
// shows, for messages and tests.
func ServerTime(s string) string {
	t, err := time.ParseInLocation(TimeLayout, s, serverZone)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// normRules returns rules in canonical form: defaults filled in, details
// normalised, sorted. Details lists are never nil.
func normRules(in []spec.Rule) []spec.Rule {
	out := make([]spec.Rule, 0, len(in))
	for _, r := range in {
		if r.Type == "" {
			r.Type = "row"
		}
		if r.Mode == "" {
			r.Mode = "fixed"
		}
		if r.Rule == "" {
			if r.Type == "row" {
				r.Rule = "or"
			} else {
				r.Rule = "and"
			}
		}
		details := make([]spec.Detail, 0, len(r.Details))
		for _, d := range r.Details {
			details = append(details, normDetail(d))
		}
		sort.SliceStable(details, func(i, j int) bool {
			return string(detailKey(details[i])) < string(detailKey(details[j]))
		})
		r.Details = details
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return ruleKey(out[i]) < ruleKey(out[j]) })
	return out
}

// ruleKey orders rules; it ignores the fields the server decorates.
func ruleKey(r spec.Rule) string {
	keys := make([]string, len(r.Details))
	for i, d := range r.Details {
		keys[i] = string(detailKey(d))
	}
	return fmt.Sprintf("%020d|%s|%s|%s|%s", r.Connection, r.Type, r.Mode, r.Rule, strings.Join(keys, ","))
}

// detailKey is a detail without the fields the server may add on its own.
func detailKey(d spec.Detail) json.RawMessage {
	d.Model, d.TableAlias, d.DatabaseAlisa = "", "", ""
	if d.Type == "row" {
		d.Type = ""
	}
	return canon.JSON(d)
}

func normDetail(d spec.Detail) spec.Detail {
	if d.Filter != nil {
		f := *d.Filter
		f.Select = sortedCopy(f.Select)
		f.Or = normConds(f.Or)
		f.And = normConds(f.And)
		d.Filter = &f
	}
	d.Select = sortedCopy(d.Select)
	if d.DataMasks != nil {
		masks := make([]spec.DataMask, len(d.DataMasks))
		for i, m := range d.DataMasks {
			m.ApplyRange = sortedCopy(m.ApplyRange)
			masks[i] = m
		}
		sort.SliceStable(masks, func(i, j int) bool {
			return string(canon.JSON(masks[i])) < string(canon.JSON(masks[j]))
		})
		d.DataMasks = masks
	}
	return d
}

func normConds(in []spec.TreeCond) []spec.TreeCond {
	if len(in) == 0 {
		return nil
	}
	out := make([]spec.TreeCond, len(in))
	for i, c := range in {
		c.Cond.InList = sortPaths(c.Cond.InList)
		c.Cond.ExcludeList = sortPaths(c.Cond.ExcludeList)
		out[i] = c
	}
	sort.SliceStable(out, func(i, j int) bool {
		return string(canon.JSON(out[i])) < string(canon.JSON(out[j]))
	})
	return out
}

func sortPaths(in [][]string) [][]string {
	if len(in) == 0 {
		return nil
	}
	out := make([][]string, len(in))
	copy(out, in)
	sort.SliceStable(out, func(i, j int) bool {
		return strings.Join(out[i], "\x00") < strings.Join(out[j], "\x00")
	})
	return out
}

// sortedCopy returns a sorted copy; nil for an empty list (null and []
// mean the same inside a detail).
func sortedCopy(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

// decodeLiveRules turns the server's rules into spec rules. Detail fields
// not in spec.Detail are dropped by decoding.
func decodeLiveRules(in []apiclient.DataPermissionRead) ([]spec.Rule, error) {
	out := make([]spec.Rule, 0, len(in))
	for i, lr := range in {
		rule := spec.Rule{Connection: lr.ResourceID, Type: lr.Type, Mode: lr.Mode, Rule: lr.Rule, Details: []spec.Detail{}}
		for j, d := range lr.Details {
			var det spec.Detail
			if err := json.Unmarshal(d, &det); err != nil {
				return nil, fmt.Errorf("decode live rule %d detail %d: %w", i, j, err)
			}
			rule.Details = append(rule.Details, det)
		}
		out = append(out, rule)
	}
	return out, nil
}

// alignLiveRules blanks, in the live rules, the fields the server adds on
// its own (model, tableAlias, databaseAlisa, a row detail's type) wherever
// the matching desired detail leaves them empty: they are compared only
// when the files set them. Both inputs are normalised; the result is too.
func alignLiveRules(desired, live []spec.Rule) []spec.Rule {
	out := make([]spec.Rule, len(live))
	for i, r := range live {
		dets := make([]spec.Detail, len(r.Details))
		copy(dets, r.Details)
		r.Details = dets
		for j := range r.Details {
			got := &r.Details[j]
			// The desired detail at the same place: of the same rule when
			// it matches, else the likeliest counterpart (rules and details
			// are sorted alike), so that a changed rule shows only what
			// really changed. Without one, hide what the server adds by
			// default.
			if i < len(desired) && j < len(desired[i].Details) {
				want := desired[i].Details[j]
				if want.Model == "" {
					got.Model = ""
				}
				if want.TableAlias == "" {
					got.TableAlias = ""
				}
				if want.DatabaseAlisa == "" {
					got.DatabaseAlisa = ""
				}
				if want.Type == "" && got.Type == "row" {
					got.Type = ""
				}
				continue
			}
			if got.Model == "manual" {
				got.Model = ""
			}
			if got.TableAlias == got.TableName {
				got.TableAlias = ""
			}
			if got.Type == "row" {
				got.Type = ""
			}
		}
		out[i] = r
	}
	return out
}

// normResources sorts resources and their permissions.
func normResources(in []spec.Resource) []spec.Resource {
	out := make([]spec.Resource, len(in))
	for i, r := range in {
		r.Permissions = sortedCopy(r.Permissions)
		if r.Permissions == nil {
			r.Permissions = []string{}
		}
		if r.Path != nil {
			r.Path = append([]string(nil), r.Path...)
		}
		out[i] = r
	}
	sort.SliceStable(out, func(i, j int) bool {
		return string(canon.JSON(out[i])) < string(canon.JSON(out[j]))
	})
	return out
}
