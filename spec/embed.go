package spec

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Embed profiles (embeds:): how the credential of an embedded report is
// made for one viewer. The key names are a contract (docs/embed.md); both
// formats share name, report, component, viewer, permissions, filters,
// expires, uses, watermark and url. A field one server has no use for is
// decoded all the same and refused by validation with the reason.

// Values of an embed profile's permissions.
const (
	// EmbedDeclared: the viewer's data permissions as the files declare
	// them (the default).
	EmbedDeclared = "declared"
	// EmbedNone: no filter; the credential shows the report as the
	// viewer's account sees it on the server, unfiltered by the files.
	EmbedNone = "none"
	// EmbedExplicit: the profile's own filters.
	EmbedExplicit = "explicit"
)

// EmbedPermissions lists the values of permissions.
var EmbedPermissions = []string{EmbedDeclared, EmbedNone, EmbedExplicit}

// Limits of an embed credential's lifetime and uses, from the documents.
const (
	// YoudataEmbedMaxExpires is the longest a Youdata token lives:
	// genToken's expiryTime is in seconds and its default, 86400 * 30,
	// is the longest the document names.
	YoudataEmbedMaxExpires = 30 * 24 * time.Hour
	// QuickBIEmbedMaxExpires is CreateTicket's longest ExpireTime (and
	// its default), 240 minutes.
	QuickBIEmbedMaxExpires = 240 * time.Minute
	// QuickBIEmbedMaxUses is CreateTicket's largest TicketNum.
	QuickBIEmbedMaxUses = 99999
	// QuickBIWatermarkMax is the longest WatermarkParam, in characters.
	QuickBIWatermarkMax = 50
	// EmbedNameMax is the longest profile name.
	EmbedNameMax = 64
)

// Embed is a Youdata embed profile: a token of util/genToken bound to
// the viewer (authUniqueId) and carrying the viewer's filters (filterMap,
// columnFilterMap, tableFilterMap), for the report's integration page.
type Embed struct {
	Src Source `json:"-"`

	// Name is the profile's key: permsync token NAME, POST /v1/embed/NAME.
	Name string `json:"name"`
	// Report is the report id (the integration page's rid).
	Report string `json:"report"`
	// Component is Quick BI's; refused here.
	Component *string `json:"component,omitempty"`
	// Viewer is the user the token is for: a declared uniqueId, or a
	// variable "${name}" given when the token is made.
	Viewer string `json:"viewer"`
	// Permissions is declared (default), none or explicit.
	Permissions string `json:"permissions,omitempty"`
	// Filters are the rules of permissions: explicit, in the format of
	// data permission rules.
	Filters []Rule `json:"filters,omitempty"`
	// Expires is how long the token lives, a duration ("4h", "240m").
	Expires string `json:"expires"`
	// Uses and Watermark are Quick BI's; refused here.
	Uses      *int    `json:"uses,omitempty"`
	Watermark *string `json:"watermark,omitempty"`
	// URL is the base URL of the integration page (default: the server).
	URL string `json:"url,omitempty"`

	// Project is the project of the report (by name, a project of the
	// files): its data permissions are the ones that apply.
	Project string `json:"project"`
	// Connections, when present, are the data connections the report
	// reads: only their permissions apply.
	Connections []int64 `json:"connections,omitempty"`
	// Once makes the token usable by its first visitor only (genToken's
	// once).
	Once bool `json:"once,omitempty"`
}

// QuickBIEmbed is a Quick BI embed profile: a ticket of CreateTicket
// bound to the viewer's UserId (whose row and column rules the server
// applies), with GlobalParam filters for permissions: explicit.
type QuickBIEmbed struct {
	Src Source `json:"-"`

	Name string `json:"name"`
	// Report is the WorksId.
	Report string `json:"report"`
	// Component is the CmptId of one dashboard component.
	Component *string `json:"component,omitempty"`
	// Viewer is a declared account, or a variable "${name}".
	Viewer      string          `json:"viewer"`
	Permissions string          `json:"permissions,omitempty"`
	Filters     []QuickBIFilter `json:"filters,omitempty"`
	// Expires is the ticket's lifetime, whole minutes, at most 240m.
	Expires string `json:"expires"`
	// Uses is TicketNum: how many visits the ticket allows (default 1).
	Uses *int `json:"uses,omitempty"`
	// Watermark is WatermarkParam, at most 50 characters.
	Watermark *string `json:"watermark,omitempty"`
	// URL is the embed page the ticket is appended to.
	URL string `json:"url,omitempty"`

	// Workspace and Datasets say which datasets the report reads (by the
	// files' workspace name, dataset ids or names): only their row rules
	// count when deciding whether the report has row permissions.
	Workspace string   `json:"workspace,omitempty"`
	Datasets  []string `json:"datasets,omitempty"`
}

// QuickBIFilter is one item of CreateTicket's GlobalParam.
type QuickBIFilter struct {
	Src Source `json:"-"`

	ParamKey string `json:"paramKey"`
	// JoinType is and (default) or or.
	JoinType      string             `json:"joinType,omitempty"`
	ConditionList []QuickBICondition `json:"conditionList"`
}

// QuickBICondition is one condition of a GlobalParam item.
type QuickBICondition struct {
	Operate string `json:"operate"`
	Value   string `json:"value"`
}

// QuickBIJoinTypes are the join types of a GlobalParam item.
var QuickBIJoinTypes = []string{"and", "or"}

var embedVarRE = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// EmbedVar returns the variable a viewer names ("${user}" → "user"), or
// "" when the viewer is a user.
func EmbedVar(viewer string) string {
	if m := embedVarRE.FindStringSubmatch(viewer); m != nil {
		return m[1]
	}
	return ""
}

// PermissionsOrDefault is the profile's permissions, declared when
// absent.
func (e *Embed) PermissionsOrDefault() string { return orDeclared(e.Permissions) }

// PermissionsOrDefault is the profile's permissions, declared when
// absent.
func (e *QuickBIEmbed) PermissionsOrDefault() string { return orDeclared(e.Permissions) }

func orDeclared(p string) string {
	if p == "" {
		return EmbedDeclared
	}
	return p
}

// ParseEmbedExpires parses an expires value: a duration ("90s", "4h",
// "240m").
func ParseEmbedExpires(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (write e.g. \"30m\", \"4h\" or \"90s\")", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be positive", s)
	}
	return d, nil
}

// YoudataEmbedExpires checks an expires value against Youdata's limits:
// whole seconds (genToken's expiryTime), at most 30 days.
func YoudataEmbedExpires(s string) (time.Duration, error) {
	d, err := ParseEmbedExpires(s)
	if err != nil {
		return 0, err
	}
	if d%time.Second != 0 {
		return 0, fmt.Errorf("%q is not whole seconds: genToken's expiryTime is in seconds", s)
	}
	if d > YoudataEmbedMaxExpires {
		return 0, fmt.Errorf("%q is longer than %s, the longest token life the document names (expiryTime 86400 * 30)", s, "720h (30 days)")
	}
	return d, nil
}

// QuickBIEmbedExpires checks an expires value against Quick BI's limits:
// whole minutes (ExpireTime), 1 to 240.
func QuickBIEmbedExpires(s string) (time.Duration, error) {
	d, err := ParseEmbedExpires(s)
	if err != nil {
		return 0, err
	}
	if d%time.Minute != 0 {
		return 0, fmt.Errorf("%q is not whole minutes: CreateTicket's ExpireTime is in minutes", s)
	}
	if d > QuickBIEmbedMaxExpires {
		return 0, fmt.Errorf("%q is longer than 240m, CreateTicket's longest ExpireTime", s)
	}
	return d, nil
}

// EmbedByName returns the Youdata profile with that name, or nil.
func (d *Desired) EmbedByName(name string) *Embed {
	for i := range d.Embeds {
		if d.Embeds[i].Name == name {
			return &d.Embeds[i]
		}
	}
	return nil
}

// QuickBIEmbedByName returns the Quick BI profile with that name, or nil.
func (d *Desired) QuickBIEmbedByName(name string) *QuickBIEmbed {
	if d.QuickBI == nil {
		return nil
	}
	for i := range d.QuickBI.Embeds {
		if d.QuickBI.Embeds[i].Name == name {
			return &d.QuickBI.Embeds[i]
		}
	}
	return nil
}

// EmbedNames lists the profiles' names, sorted.
func (d *Desired) EmbedNames() []string {
	var out []string
	for _, e := range d.Embeds {
		out = append(out, e.Name)
	}
	if d.QuickBI != nil {
		for _, e := range d.QuickBI.Embeds {
			out = append(out, e.Name)
		}
	}
	slices.Sort(out)
	return out
}

func embedNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
}

// embedNameProblem says what is wrong with a profile name, or "".
func embedNameProblem(name string) string {
	if utf8.RuneCountInString(name) > EmbedNameMax {
		return fmt.Sprintf("a profile name is at most %d characters", EmbedNameMax)
	}
	if strings.HasPrefix(name, ".") {
		return "a profile name must not start with \".\""
	}
	for _, r := range name {
		if !embedNameRune(r) {
			return fmt.Sprintf("profile name %q holds %s: a profile name (part of the URL /v1/embed/NAME) holds ASCII letters, digits, \"-\", \"_\" and \".\" only", name, charName(r))
		}
	}
	return ""
}

// embedURLProblem says what is wrong with a profile's url, or "".
func embedURLProblem(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "not an http(s) URL"
	case u.User != nil:
		return "a URL holding credentials"
	case u.RawQuery != "" || u.Fragment != "":
		return "a URL with a query or a fragment: permsync adds the query"
	}
	return ""
}

// idRune is what a report or component id holds: the ids the servers
// choose (numbers, UUIDs, hex).
func idRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}

func idProblem(s string) string {
	for _, r := range s {
		if !idRune(r) {
			return fmt.Sprintf("%q holds %s: an id holds ASCII letters, digits, \"-\" and \"_\" only", s, charName(r))
		}
	}
	return ""
}
