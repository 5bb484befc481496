package access

import (
	"strings"
	"time"
)

// PathText is a grant's path in words: "direct", "direct, expires
// 2027-10-10 10:00:00", "via group 华北分析师 → role 报告阅览", "via
// department SALES (expires 2027-10-10 10:00:00) → role 报告阅览". The
// expiry of the last link is written ", expires …", those before it in
// brackets after their link. Unescaped: writers escape it for their
// medium.
func PathText(path []Step) string {
	if len(path) == 0 {
		return "direct"
	}
	var b strings.Builder
	for i, s := range path {
		last := i == len(path)-1
		switch {
		case s.Kind == StepDirect && i == 0:
			b.WriteString("direct")
		case i == 0:
			b.WriteString("via ")
			b.WriteString(stepText(s))
		default:
			b.WriteString(" → ")
			b.WriteString(stepText(s))
		}
		if s.Expires != "" {
			if last {
				b.WriteString(", expires ")
				b.WriteString(s.Expires)
			} else {
				b.WriteString(" (expires ")
				b.WriteString(s.Expires)
				b.WriteString(")")
			}
		}
	}
	return b.String()
}

func stepText(s Step) string {
	switch s.Kind {
	case StepEveryone:
		return "everyone"
	case StepDirect:
		return "direct binding"
	case StepAttribute:
		return "dynamic attribute " + s.Name
	}
	if s.Name == "" {
		return s.Kind.Label()
	}
	return s.Kind.Label() + " " + s.Name
}

// LabelOf is a grant's kind in words; a rule's names its type ("row
// rule").
func LabelOf(g *Grant) string {
	if g.Kind == KindRule && g.Rule != nil && g.Rule.Type != "" {
		return g.Rule.Type + " rule"
	}
	return g.Kind.Label()
}

// WhatText is what a grant reaches in words: the target with its rights
// ("NEW_REPORT 报表/周报 (view, export)"), a member's system roles, a
// rule's effect ("订单 (connection 2010): rows where 地区 in 华北, 东北").
func WhatText(g *Grant) string {
	switch {
	case g.Kind == KindMember:
		if len(g.Rights) == 0 {
			return g.Target
		}
		return strings.Join(g.Rights, ", ")
	case g.Kind == KindRule && g.Rule != nil:
		if g.Target == "" {
			return RuleText(g.Rule)
		}
		return g.Target + ": " + RuleText(g.Rule)
	case len(g.Rights) > 0:
		return g.Target + " (" + strings.Join(g.Rights, ", ") + ")"
	}
	return g.Target
}

// RuleText is what a rule lets the user see, in words: "rows where 地区
// in 华北, 东北", "rows where 地区 not in 华东", "all rows: attribute 7 is
// not set", "column 手机号 masked (view, export)", "only tables 订单, 客户".
func RuleText(r *Rule) string {
	if r == nil {
		return ""
	}
	if r.Text != "" {
		return r.Text
	}
	fields := strings.Join(r.Fields, "/")
	if fields == "" {
		fields = "?"
	}
	values := strings.Join(r.Values, ", ")
	switch r.Type {
	case "row":
		switch {
		case r.Effect == "all":
			return "all rows"
		case r.Attribute != "" && r.Unlimited:
			return "all rows: attribute " + r.Attribute + " is not set, which does not restrict"
		case r.Attribute != "" && r.Unknown:
			return "rows where " + fields + " " + inWord(r.Effect) + " the values of attribute " + r.Attribute + " (not known)"
		case r.Unknown:
			return "rows where " + fields + " " + inWord(r.Effect) + " values not known"
		case len(r.Values) == 0 && r.Effect != "exclude":
			if r.Attribute != "" {
				return "no rows: attribute " + r.Attribute + " is empty"
			}
			return "no rows"
		case len(r.Values) == 0:
			return "all rows"
		}
		s := "rows where " + fields + " " + inWord(r.Effect) + " " + values
		if r.Attribute != "" {
			s += " (attribute " + r.Attribute + ")"
		}
		return s
	case "column":
		what := "hidden"
		if r.Effect == "mask" {
			what = "masked"
		}
		word := "column "
		if len(r.Fields) > 1 {
			word = "columns "
		}
		s := word + strings.Join(r.Fields, ", ") + " " + what
		if len(r.Apply) > 0 {
			s += " (" + strings.Join(r.Apply, ", ") + ")"
		}
		return s
	case "table":
		if r.Effect == "hide" {
			return "tables " + values + " hidden"
		}
		return "only tables " + values
	}
	if values != "" {
		return r.Type + " " + fields + " " + values
	}
	return r.Type
}

func inWord(effect string) string {
	if effect == "exclude" {
		return "not in"
	}
	return "in"
}

// ExpiredAt is the time against which a report's expiries read as
// expired: its Generated time, else now.
func (r *Report) ExpiredAt() time.Time {
	if t, err := time.Parse(time.RFC3339, r.Generated); err == nil {
		return t
	}
	return time.Now()
}
