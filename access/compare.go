package access

import (
	"errors"
	"slices"
	"strings"
)

// Compare merges the report of the files and that of the server into one
// report of both (SourceBoth), every grant with its Status: the same on
// both, differing (Note says what the server shows), in the files only,
// on the server only, or not shown by the server (a grant the files make
// through what the server does not read back; Note says what). Both
// reports must be finished (Finish) and of one provider.
func Compare(files, server *Report) (*Report, error) {
	if files == nil || server == nil {
		return nil, errors.New("compare access: a report is missing")
	}
	if files.Provider != server.Provider {
		return nil, errors.New("compare access: the reports are of two providers, " + files.Provider + " and " + server.Provider)
	}
	out := New(files.Provider, SourceBoth)
	out.Generated = files.Generated
	if out.Generated == "" {
		out.Generated = server.Generated
	}
	out.Zone = files.Zone
	if out.Zone == "" {
		out.Zone = server.Zone
	}
	out.SpaceLabel = files.SpaceLabel
	out.DomainLabel = files.DomainLabel
	out.Notes = append(append([]string{}, files.Notes...), server.Notes...)
	out.Departments = mergeDepartments(files.Departments, server.Departments)
	out.Users = append(append(make([]User, 0, len(files.Users)+len(server.Users)), files.Users...), server.Users...)
	out.Grants = make([]Grant, 0, len(files.Grants)+len(server.Grants)/4)

	i, j := 0, 0
	for i < len(files.Grants) || j < len(server.Grants) {
		c := 0
		switch {
		case i == len(files.Grants):
			c = 1
		case j == len(server.Grants):
			c = -1
		default:
			c = compareGrants(&files.Grants[i], &server.Grants[j])
		}
		switch {
		case c < 0:
			g := files.Grants[i]
			if g.Unshown != "" {
				g.Status, g.Note = StatusUnshown, g.Unshown
			} else {
				g.Status, g.Note = StatusFilesOnly, ""
			}
			out.Grants = append(out.Grants, g)
			i++
		case c > 0:
			g := server.Grants[j]
			g.Status, g.Note, g.Unshown = StatusServerOnly, "", ""
			out.Grants = append(out.Grants, g)
			j++
		default:
			g := files.Grants[i]
			s := &server.Grants[j]
			diffs, valuesUnknown := differences(&g, s)
			switch {
			case len(diffs) > 0:
				g.Status, g.Note = StatusDiffers, strings.Join(diffs, "; ")
			case valuesUnknown && g.Unshown != "":
				g.Status, g.Note = StatusUnshown, g.Unshown
			default:
				g.Status, g.Note = StatusSame, ""
			}
			out.Grants = append(out.Grants, g)
			i++
			j++
		}
	}
	out.Finish()
	return out, nil
}

// differences lists what the server shows differently of one grant, and
// whether the server's rule values are unknown (then not compared).
func differences(f, s *Grant) (diffs []string, valuesUnknown bool) {
	if !slices.Equal(f.Rights, s.Rights) {
		diffs = append(diffs, "rights "+listOrNone(s.Rights))
	}
	if f.Expires != s.Expires {
		if s.Expires == "" {
			diffs = append(diffs, "no expiry")
		} else {
			diffs = append(diffs, "expires "+s.Expires)
		}
	}
	if f.Rule != nil && s.Rule != nil {
		fr, sr := f.Rule, s.Rule
		if sr.Unknown || fr.Unknown {
			valuesUnknown = true
		} else if !slices.Equal(fr.Values, sr.Values) || fr.Unlimited != sr.Unlimited {
			if sr.Unlimited {
				diffs = append(diffs, "not restricted")
			} else {
				diffs = append(diffs, "values "+listOrNone(sr.Values))
			}
		}
		if fr.Effect != sr.Effect || fr.Combine != sr.Combine || !slices.Equal(fr.Apply, sr.Apply) || fr.Text != sr.Text {
			diffs = append(diffs, RuleText(sr))
		}
	}
	return diffs, valuesUnknown
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

func mergeDepartments(a, b []Department) []Department {
	seen := map[string]bool{}
	var out []Department
	for _, l := range [][]Department{a, b} {
		for _, d := range l {
			if !seen[d.Code] {
				seen[d.Code] = true
				out = append(out, d)
			}
		}
	}
	return out
}
