package spec

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// Validation of embed profiles. A profile whose viewer is a declared user
// is checked as a credential would be made for it, so that a profile
// which would refuse every visitor, or show rows unfiltered, fails when
// the files load rather than when a page is viewed.

// embedNames reports names that are missing, malformed or given twice;
// seen holds the names already met (the other provider's list shares the
// URL space /v1/embed/NAME).
func (v *validator) embedName(src Source, name string, seen map[string]Source) {
	if !v.required(src, "name", name) {
		return
	}
	if p := embedNameProblem(name); p != "" {
		v.at(src, ".name", "%s", p)
		return
	}
	if first, dup := seen[name]; dup {
		v.at(src, ".name", "duplicate embed profile %q (first at %s)", name, v.where(first, ".name"))
		return
	}
	seen[name] = src
}

// embedCommon checks what both formats share: report, component, viewer,
// permissions, url. It reports whether the viewer is a variable.
func (v *validator) embedCommon(src Source, report string, component *string, viewer, permissions, u string) bool {
	if v.required(src, "report", report) {
		if p := idProblem(report); p != "" {
			v.at(src, ".report", "report %s", p)
		}
	}
	if component != nil {
		if *component == "" {
			v.at(src, ".component", "must not be empty (leave component out to embed the whole report)")
		} else if p := idProblem(*component); p != "" {
			v.at(src, ".component", "component %s", p)
		}
	}
	v.enum(src, ".permissions", "permissions", permissions, EmbedPermissions)
	if u != "" {
		if p := embedURLProblem(u); p != "" {
			v.at(src, ".url", "%s: want the base URL of the embed page, e.g. https://bi.example.com/embed", p)
		}
	}
	return EmbedVar(viewer) != ""
}

// refusalAt reports an *EmbedRefusal at the profile's field it is about.
func (v *validator) refusalAt(src Source, err error) {
	var r *EmbedRefusal
	if !errors.As(err, &r) {
		v.at(src, "", "%s", err)
		return
	}
	sub := ""
	if r.Field != "" {
		sub = "." + r.Field
	}
	v.at(src, sub, "%s", r.Msg)
}

// embeds checks the Youdata profiles.
func (v *validator) embeds() {
	d := v.d
	seen := map[string]Source{}
	for i := range d.Embeds {
		e := &d.Embeds[i]
		before := len(v.ps.list) + v.ps.dropped
		v.embedName(e.Src, e.Name, seen)
		isVar := v.embedCommon(e.Src, e.Report, nil, e.Viewer, e.Permissions, e.URL)
		if e.Component != nil {
			v.at(e.Src, ".component", "component is Quick BI's CmptId: a Youdata token embeds the whole report (leave component out)")
		}
		if e.Uses != nil {
			v.at(e.Src, ".uses", "uses is Quick BI's TicketNum: a Youdata token has no count of uses (say once: true for a token only its first visitor may use)")
		}
		if e.Watermark != nil {
			v.at(e.Src, ".watermark", "watermark is not sent to Youdata: the document types genToken's watermark as a String and shows an object, so permsync cannot know what the server takes")
		}
		if v.required(e.Src, "viewer", e.Viewer) && !isVar {
			if _, ok := v.users[e.Viewer]; !ok {
				v.at(e.Src, ".viewer", "user %q is not declared under users: (a viewer is a declared user, or a variable such as ${user})%s", e.Viewer, v.nearHint(v.userNear, e.Viewer))
			}
		}
		perm := e.PermissionsOrDefault()
		switch {
		case perm == EmbedExplicit && e.Filters == nil:
			v.missing(e.Src, "filters", " (permissions: explicit takes its rules from filters)")
		case perm == EmbedExplicit && len(e.Filters) == 0:
			v.at(e.Src, ".filters", "list at least one filter (or say permissions: none)")
		case perm != EmbedExplicit && e.Filters != nil:
			v.at(e.Src, ".filters", "filters are the rules of permissions: explicit; with permissions: %s they would be ignored", perm)
		}
		for j := range e.Filters {
			v.rule(e.Src, fmt.Sprintf(".filters[%d]", j), &e.Filters[j])
		}
		if v.required(e.Src, "expires", e.Expires) {
			if _, err := YoudataEmbedExpires(e.Expires); err != nil {
				v.at(e.Src, ".expires", "%s", err)
			}
		}
		if v.required(e.Src, "project", e.Project) {
			found := false
			for k := range d.Projects {
				found = found || d.Projects[k].Name == e.Project
			}
			if !found {
				v.at(e.Src, ".project", "project %q is not in the files%s", e.Project, v.nearHint(v.projectNear, e.Project))
			}
		}
		seenConn := map[int64]int{}
		for j, c := range e.Connections {
			sub := fmt.Sprintf(".connections[%d]", j)
			if c <= 0 {
				v.at(e.Src, sub, "a data connection id must be positive")
				continue
			}
			if k, dup := seenConn[c]; dup {
				v.at(e.Src, sub, "duplicate data connection %d (first at %s)", c, v.where(e.Src, fmt.Sprintf(".connections[%d]", k)))
				continue
			}
			seenConn[c] = j
		}
		if len(v.ps.list)+v.ps.dropped != before {
			continue // the grant is only worked out for a well-formed profile
		}
		if !isVar {
			if _, err := d.YoudataEmbedGrant(e, e.Viewer, time.Time{}); err != nil {
				v.refusalAt(e.Src, err)
			}
			continue
		}
		if err := d.youdataEmbedStatic(e); err != nil {
			v.refusalAt(e.Src, err)
		}
	}
}

// youdataEmbedStatic is what can be said of a profile whose viewer is a
// variable, for every viewer: explicit filters that leave a connection
// the project restricts unfiltered, or declared permissions in a project
// that declares none (every viewer would be refused).
func (d *Desired) youdataEmbedStatic(e *Embed) error {
	p := d.projectByName(e.Project)
	if p == nil {
		return nil
	}
	refuse := func(field, format string, args ...any) error {
		return &EmbedRefusal{Profile: e.Name, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	rowConns := youdataRowConns(p, e)
	switch e.PermissionsOrDefault() {
	case EmbedExplicit:
		g := &EmbedGrant{}
		for _, r := range e.Filters {
			g.Rules = append(g.Rules, GrantedRule{Rule: r})
		}
		if conn, dp := g.firstUnfiltered(rowConns); dp != nil {
			return refuse("filters", "the filters leave the rows of data connection %d unfiltered, and data permission %q (%s) restricts them in project %q: add a row filter on connection %d, list the connections the report reads under connections:, or say permissions: none",
				conn, dp.Name, dp.Src.File+":"+strconv.Itoa(dp.Src.Line), p.Name, conn)
		}
	case EmbedDeclared:
		any := false
		for i := range p.DataPermissions {
			dp := &p.DataPermissions[i]
			for j := range dp.Rules {
				any = any || youdataInScope(e, dp.Rules[j].Connection)
			}
			any = any || dp.Rules == nil
		}
		if !any {
			return refuse("permissions", "the files declare no data permission in project %q that the report's connections could use, so no viewer has one: say permissions: none to embed the report unfiltered", p.Name)
		}
	}
	return nil
}

// embedsQuickBI checks the Quick BI profiles.
func (x *qbValidator) embeds() {
	d, q := x.d, x.q
	seen := map[string]Source{}
	for i := range q.Embeds {
		e := &q.Embeds[i]
		before := len(x.ps.list) + x.ps.dropped
		x.embedName(e.Src, e.Name, seen)
		isVar := x.embedCommon(e.Src, e.Report, e.Component, e.Viewer, e.Permissions, e.URL)
		if x.required(e.Src, "viewer", e.Viewer) && !isVar {
			if _, ok := x.users[e.Viewer]; !ok {
				x.at(e.Src, ".viewer", "account %q is not declared under users: (a viewer is a declared account, or a variable such as ${user})%s", e.Viewer, x.nearHint(x.userNear, e.Viewer))
			}
		}
		if e.PermissionsOrDefault() == EmbedExplicit && len(e.Filters) == 0 {
			x.at(e.Src, ".filters", "permissions: explicit takes its GlobalParam filters from filters: list at least one (or say permissions: none)")
		}
		for j := range e.Filters {
			f := &e.Filters[j]
			fs := x.sub(e.Src, fmt.Sprintf(".filters[%d]", j))
			x.required(fs, "paramKey", f.ParamKey)
			x.enum(fs, ".joinType", "joinType", f.JoinType, QuickBIJoinTypes)
			if len(f.ConditionList) == 0 {
				if f.ConditionList == nil {
					x.missing(fs, "conditionList", "")
				} else {
					x.at(fs, ".conditionList", "list at least one condition")
				}
			}
			for k, c := range f.ConditionList {
				cs := x.sub(fs, fmt.Sprintf(".conditionList[%d]", k))
				x.required(cs, "operate", c.Operate)
			}
		}
		if x.required(e.Src, "expires", e.Expires) {
			if _, err := QuickBIEmbedExpires(e.Expires); err != nil {
				x.at(e.Src, ".expires", "%s", err)
			}
		}
		if e.Uses != nil && (*e.Uses < 1 || *e.Uses > QuickBIEmbedMaxUses) {
			x.at(e.Src, ".uses", "uses is CreateTicket's TicketNum: 1 to %d", QuickBIEmbedMaxUses)
		}
		if e.Watermark != nil {
			if n := utf8.RuneCountInString(*e.Watermark); n > QuickBIWatermarkMax {
				x.at(e.Src, ".watermark", "%d characters: CreateTicket's WatermarkParam is at most %d", n, QuickBIWatermarkMax)
			} else if *e.Watermark == "" {
				x.at(e.Src, ".watermark", "must not be empty (leave watermark out for none)")
			}
		}
		if e.Workspace != "" {
			found := false
			for k := range q.Workspaces {
				found = found || q.Workspaces[k].Name == e.Workspace
			}
			if !found {
				x.at(e.Src, ".workspace", "workspace %q is not in the files%s", e.Workspace, x.nearHint(x.workspaceNear, e.Workspace))
			}
		}
		if len(x.ps.list)+x.ps.dropped != before {
			continue
		}
		scope, err := q.quickBIDatasets(e)
		if err != nil {
			x.at(e.Src, ".datasets", "%s", err)
			continue
		}
		if isVar && e.PermissionsOrDefault() == EmbedDeclared {
			rules := 0
			for _, s := range scope {
				for _, l := range []*QuickBIDataLevel{s.ds.RowLevel, s.ds.ColumnLevel} {
					if l != nil && (l.Enabled == nil || *l.Enabled) {
						rules += len(l.Rules)
					}
				}
			}
			if rules == 0 {
				x.at(e.Src, ".permissions", "the files declare no row or column rule on the datasets the report reads, so no viewer has one: say permissions: none to embed the report without declared permissions")
			}
		}
		if !isVar {
			if _, err := d.QuickBIEmbedGrant(e, e.Viewer); err != nil {
				x.refusalAt(e.Src, err)
			}
		}
	}
}
