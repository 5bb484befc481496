package quickbi

import (
	"context"
	"fmt"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/state"
)

// AddUser is not an upsert, and no code says "already a member": a member
// the plan adds that someone added by hand between the plan and the apply
// (deleted in the console, then added again there) makes AddUser fail,
// with NickName.AlreadyIn.Organization when it took its nickname back, or
// another code. After a failed AddUser the executor looks the account up
// (QueryUserList by keyword, one read; exact account or UID); when it is a
// member now, the add is done: the member is given what the files say with
// one UpdateUser (nickname, type, roles, active or not) and the changes
// that depend on it go on with its UserId. Otherwise the AddUser's error
// stands.

// memberLookup is the read the executor makes after a failed AddUser.
type memberLookup interface {
	QueryUserList(ctx context.Context, req apiclient.QueryUserListRequest) (*apiclient.Page[apiclient.User], error)
}

// addedMeanwhile looks up the account of create c (change i) after its
// AddUser failed with addErr; when it is a member now, it gives it what c sets and
// returns its UserId. found is false when it is no member, when the lookup
// failed, or when addErr may pass (the engine reads again and plans): the
// AddUser's error is the one to report.
func (a *executor) addedMeanwhile(ctx context.Context, i int, c plan.Change, req apiclient.AddUserRequest, inactive bool, addErr error) (userID string, found bool, err error) {
	if a.lookup == nil || provider.MayPass(addErr) {
		return "", false, nil
	}
	account := NormalizeAccount(c.Key)
	page, lerr := a.lookup.QueryUserList(ctx, apiclient.QueryUserListRequest{Keyword: account, PageNum: 1, PageSize: apiclient.MaxPageSize})
	if lerr != nil || page == nil {
		return "", false, nil
	}
	var hit *apiclient.User
	for j := range page.Data {
		u := &page.Data[j]
		if NormalizeAccount(u.AccountName) == account || req.AccountID != "" && u.AccountID == req.AccountID {
			hit = u
			break
		}
	}
	if hit == nil {
		return "", false, nil
	}
	a.mu.Lock()
	a.meanwhile[i] = true
	a.mu.Unlock()
	up := apiclient.UpdateUserRequest{UserID: hit.UserID, NickName: req.NickName, UserType: req.UserType, RoleIDs: req.RoleIDs, IsDeleted: &inactive}
	if err := a.users.UpdateUser(ctx, up); err != nil {
		return hit.UserID, true, fmt.Errorf("UpdateUser %s (added by hand since the plan: AddUser failed): %w", c.Key, err)
	}
	return hit.UserID, true, nil
}

// recordOwnership notes, for the users the plan creates, whether the
// state recorded each as created by permsync (a member deleted in the
// console that permsync had added): a create that finds the member added
// by hand meanwhile keeps that record.
func (a *executor) recordOwnership(st *state.State) bool {
	for _, c := range a.plan.Changes {
		if c.Kind == KindUser && c.Action == plan.Create {
			if o := st.Objects[plan.StateKey(KindUser, c.Key)]; o != nil && o.Created {
				a.wasCreated[c.Key] = true
			}
		}
	}
	return false
}
