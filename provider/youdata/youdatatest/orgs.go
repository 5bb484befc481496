package youdatatest

import (
	"sort"

	"github.com/permsync/permsync/internal/sets"
)

// syncOrg is POST orgStructure/syncOrg (l.3542). updatedOrgs are upserted
// first (a parent must exist or be in the same call), then deletedOrgCodes
// are deleted (deleting a missing code is fine).
//
// Without "forceDeleteOrg": false (the default is true) a deleted
// department takes its whole subtree with it and every member of those
// departments is frozen. With false, deleting a department that still has
// members or sub-departments (other than ones deleted in the same call)
// fails and nothing changes.
func (s *Server) syncOrg(r *request) (any, error) {
	var req struct {
		base
		CompanyName *string `json:"companyName"`
		UpdatedOrgs []struct {
			OrgCode           string   `json:"orgCode"`
			Name              string   `json:"name"`
			ParentOrgCode     string   `json:"parentOrgCode"`
			OrgAdminUniqueIDs []string `json:"orgAdminUniqueIds"`
			Description       string   `json:"description"`
		} `json:"updatedOrgs"`
		ForceDeleteOrg  *bool    `json:"forceDeleteOrg"`
		DeletedOrgCodes []string `json:"deletedOrgCodes"`
	}
	if err := r.decode(&req); err != nil {
		return nil, err
	}
	if req.DeletedOrgCodes == nil {
		return nil, badRequest("deletedOrgCodes 必传,不删除请传空数组")
	}
	force := req.ForceDeleteOrg == nil || *req.ForceDeleteOrg

	// Work on a copy of the tree so a failing call changes nothing.
	orgs := make(map[string]*Org, len(s.st.Orgs)+len(req.UpdatedOrgs))
	for k, o := range s.st.Orgs {
		c := *o
		orgs[k] = &c
	}
	for _, u := range req.UpdatedOrgs {
		if u.OrgCode == "" || u.Name == "" {
			return nil, badRequest("orgCode 和 name 不能为空")
		}
		orgs[u.OrgCode] = &Org{Code: u.OrgCode, Name: u.Name, Parent: u.ParentOrgCode,
			Admins: cloneStrings(u.OrgAdminUniqueIDs), Description: u.Description}
	}
	for _, u := range req.UpdatedOrgs {
		if u.ParentOrgCode != "" && orgs[u.ParentOrgCode] == nil {
			return nil, badRequest("上级部门不存在: %s", u.ParentOrgCode)
		}
		seen := map[string]bool{}
		for c := u.OrgCode; c != ""; c = orgs[c].Parent {
			if seen[c] {
				return nil, badRequest("部门的上级关系成环: %s", u.OrgCode)
			}
			seen[c] = true
			if orgs[c] == nil {
				break
			}
		}
	}
	children := map[string][]string{}
	for code, o := range orgs {
		if o.Parent != "" {
			children[o.Parent] = append(children[o.Parent], code)
		}
	}
	members := map[string]int{}
	for _, u := range s.st.Users {
		for _, uo := range u.Orgs {
			members[uo.Code]++
		}
	}
	del := map[string]bool{}
	if force {
		var walk func(code string)
		walk = func(code string) {
			if del[code] {
				return
			}
			del[code] = true
			for _, c := range children[code] {
				walk(c)
			}
		}
		for _, code := range req.DeletedOrgCodes {
			if orgs[code] != nil {
				walk(code)
			}
		}
	} else {
		for _, code := range req.DeletedOrgCodes {
			if orgs[code] != nil {
				del[code] = true
			}
		}
		for _, code := range sets.SortedKeys(del) {
			if members[code] > 0 {
				return nil, badRequest("部门下还有直属员工,无法删除部门: %s", code)
			}
			for _, c := range children[code] {
				if !del[c] {
					return nil, badRequest("部门下还有子部门,无法删除部门: %s", code)
				}
			}
		}
	}
	for code := range del {
		delete(orgs, code)
	}
	s.st.Orgs = orgs
	if req.CompanyName != nil {
		s.st.Company = *req.CompanyName
	}
	if len(del) > 0 {
		for _, u := range s.st.Users {
			kept := u.Orgs[:0:0]
			for _, uo := range u.Orgs {
				if del[uo.Code] {
					u.Frozen = true
					continue
				}
				kept = append(kept, uo)
			}
			if u.Orgs != nil {
				sort.Slice(kept, func(i, j int) bool { return kept[i].Code < kept[j].Code })
				u.Orgs = kept
			}
		}
	}
	return "ok", nil
}
