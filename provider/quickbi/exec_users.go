package quickbi

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
)

// tagCalls defines tags (AddUserTagMeta) and changes descriptions
// (UpdateUserTagMeta), one call each: the API has no batch.
func (a *executor) tagCalls(idx []int) []provider.Call {
	var calls []provider.Call
	for _, i := range idx {
		c := a.change(i)
		name, desc := c.After.String("name"), c.After.String("description")
		switch c.Action {
		case plan.Create:
			calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
				id, err := a.tags.AddUserTagMeta(ctx, name, desc)
				if err != nil {
					return fmt.Errorf("AddUserTagMeta %s: %w", name, err)
				}
				a.mu.Lock()
				a.tagIDs[c.Key] = id
				a.mu.Unlock()
				a.SetCreated(i, 0)
				return nil
			}})
		case plan.Update:
			if !changed(c, "description") {
				continue
			}
			id := c.Before.String("id")
			calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
				if err := a.tags.UpdateUserTagMeta(ctx, id, name, desc); err != nil {
					return fmt.Errorf("UpdateUserTagMeta %s: %w", name, err)
				}
				return nil
			}})
		default:
			a.unsupported(i)
		}
	}
	return calls
}

// userType is a type name's UserType.
func userTypeOf(c plan.Change) int { return userTypes[c.After.String("type")] }

// roleIDsOf are the organization role ids a user change sets, in the
// order of its role names.
func roleIDsOf(c plan.Change) []int64 {
	var ids map[string]int64
	_ = c.After.Decode(attrRoleIDs, &ids)
	var out []int64
	for _, n := range c.After.Strings("roles") {
		if id, ok := ids[n]; ok {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// runUsers renames and changes members first (UpdateUser), so that a
// nickname one gives up is free when another is added, then adds the new
// members (AddUser, one each: the API has no batch), then sets tag
// values (UpdateUserTagValue, one per member and tag).
func (a *executor) runUsers(ctx context.Context, idx []int) {
	var updates, creates []provider.Call
	for _, i := range idx {
		c := a.change(i)
		switch c.Action {
		case plan.Update:
			req := apiclient.UpdateUserRequest{UserID: c.Before.String("id")}
			send := false
			if changed(c, "nick") {
				req.NickName, send = c.After.String("nick"), true
			}
			if changed(c, "type") {
				req.UserType, send = userTypeOf(c), true
			}
			if changed(c, "roles") {
				req.RoleIDs, send = roleIDsOf(c), true
			}
			if changed(c, "inactive") {
				v := afterBool(c, "inactive")
				req.IsDeleted, send = &v, true
			}
			if !send {
				continue
			}
			updates = append(updates, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
				if err := a.users.UpdateUser(ctx, req); err != nil {
					return fmt.Errorf("UpdateUser %s: %w", c.Key, err)
				}
				return nil
			}})
		case plan.Create:
			req := apiclient.AddUserRequest{NickName: c.After.String("nick"), UserType: userTypeOf(c),
				AccountID: c.After.String("accountId"), AccountName: c.Key}
			if c.After.Has("roles") {
				req.RoleIDs = roleIDsOf(c)
			}
			inactive := afterBool(c, "inactive")
			creates = append(creates, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
				u, err := a.users.AddUser(ctx, req)
				if err != nil {
					id, found, uerr := a.addedMeanwhile(ctx, i, c, req, inactive, err)
					if !found {
						return fmt.Errorf("AddUser %s: %w", c.Key, err)
					}
					a.learnUser(c.Key, id)
					a.SetCreated(i, 0)
					return uerr
				}
				a.learnUser(c.Key, u.UserID)
				a.SetCreated(i, 0)
				if inactive {
					t := true
					if err := a.users.UpdateUser(ctx, apiclient.UpdateUserRequest{UserID: u.UserID, IsDeleted: &t}); err != nil {
						return fmt.Errorf("UpdateUser %s (inactive): %w", c.Key, err)
					}
				}
				return nil
			}})
		default:
			a.unsupported(i)
		}
	}
	a.RunStep(ctx, updates)
	a.RunStep(ctx, creates)
	a.RunStep(ctx, a.tagValueCalls(a.Filter(idx)))
}

// tagValueCalls set the tag values a user change sets, one call per tag.
func (a *executor) tagValueCalls(idx []int) []provider.Call {
	var calls []provider.Call
	for _, i := range idx {
		c := a.change(i)
		var after, before map[string][]string
		if c.After.Decode("tags", &after) != nil {
			continue
		}
		_ = c.Before.Decode("tags", &before)
		for _, name := range sortedKeys(after) {
			vals := after[name]
			if c.Action == plan.Update && sameStrings(before[name], vals) {
				continue
			}
			if c.Action == plan.Create && len(vals) == 0 {
				continue // a new member has no value to clear
			}
			value := apiclient.TagValueClear
			if len(vals) > 0 {
				value = strings.Join(vals, ",")
			}
			calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
				uid, tid := a.userID(c.Key), a.tagID(name)
				switch {
				case uid == "":
					return fmt.Errorf("UpdateUserTagValue %s: the UserId is not known", c.Key)
				case tid == "":
					return fmt.Errorf("UpdateUserTagValue %s: the id of tag %s is not known", c.Key, name)
				}
				if err := a.users.UpdateUserTagValue(ctx, uid, tid, value); err != nil {
					return fmt.Errorf("UpdateUserTagValue %s, tag %s: %w", c.Key, name, err)
				}
				return nil
			}})
		}
	}
	return calls
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
