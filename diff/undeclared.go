package diff

import (
	"fmt"
	"sort"
	"strings"

	"github.com/permsync/permsync/plan"
)

// undeclaredShown is how many keys a warning about an unmanaged kind
// names before it says how many more there are.
const undeclaredShown = 5

// undeclared are the deletions of one kind left out of a plan because
// no file declares the kind's section.
type undeclared struct {
	kind    plan.Kind
	section string
	keys    []string
}

// Undeclared records that the object (k, key), absent from the files,
// would be deleted but is left alone: no file declares section (the
// top-level key of its kind, "users"), and a kind no file declares is not
// managed, as a project whose file is left out is not. Leaving out every
// users: is then no instruction to delete the users permsync created;
// declaring "users: []" is. The plan warns once per section, with the
// count and the first keys.
func (p *Planner) Undeclared(k plan.Kind, section, key string) {
	if p.undeclared == nil {
		p.undeclared = map[string]*undeclared{}
	}
	u := p.undeclared[section]
	if u == nil {
		u = &undeclared{kind: k, section: section}
		p.undeclared[section] = u
	}
	u.keys = append(u.keys, key)
}

// undeclaredWarnings turns the recorded deletions left out into warnings.
func (p *Planner) undeclaredWarnings() {
	for _, u := range p.undeclared {
		keys := append([]string(nil), u.keys...)
		sort.Strings(keys)
		shown := keys
		more := ""
		if len(shown) > undeclaredShown {
			shown = shown[:undeclaredShown]
			more = fmt.Sprintf(" and %d more", len(keys)-undeclaredShown)
		}
		p.Warn("no file declares %s:, so %ss are not managed: %d %s(s) that would otherwise be deleted are left on the server (%s%s); to delete them, declare %q in a file (an empty list deletes every one of them) or list the ones to keep",
			u.section, u.kind, len(keys), u.kind, strings.Join(shown, ", "), more, emptyDeclaration(u.section))
	}
}

// emptyDeclaration is the YAML that declares section with nothing in it:
// "users: []", "orgs: {departments: []}".
func emptyDeclaration(section string) string {
	parts := strings.Split(section, ".")
	out := parts[len(parts)-1] + ": []"
	for i := len(parts) - 2; i >= 0; i-- {
		out = parts[i] + ": {" + out + "}"
	}
	return out
}
