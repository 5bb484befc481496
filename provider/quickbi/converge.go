package quickbi

import (
	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
)

// idAttrs are the attributes that map names a change shows to the
// server's ids (of users, tags): a later round of an apply knows the ids
// of what an earlier round created, so they may differ from the approved
// plan's where everything shown is the same.
var idAttrs = []string{attrUserIDs, attrTagIDs}

// allowsLater allows, in a later round of an apply, a change the
// approved one covers but for the ids it knows more of (idAttrs).
func allowsLater(approved, later plan.Change) bool {
	return engine.Allows(withoutIDs(approved), withoutIDs(later))
}

func withoutIDs(c plan.Change) plan.Change {
	strip := func(a plan.Attrs) plan.Attrs {
		if a == nil {
			return nil
		}
		out := make(plan.Attrs, len(a))
		for k, v := range a {
			out[k] = v
		}
		for _, k := range idAttrs {
			delete(out, k)
		}
		return out
	}
	c.Before, c.After = strip(c.Before), strip(c.After)
	return c
}
