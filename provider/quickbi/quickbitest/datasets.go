package quickbitest

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Datasets and their row/column permissions: per dataset and rule type a
// switch, a miss-hit policy, a whitelist and rules, all addressed by ids.

func (s *Server) cube(id string) (*dataset, *apiError) {
	d := s.w.cubes[id]
	if d == nil {
		return nil, cubeNotExist()
	}
	return d, nil
}

func ruleType(name, v string) *apiError {
	if v != RowLevel && v != ColumnLevel {
		return invalid("%s is ROW_LEVEL or COLUMN_LEVEL", name)
	}
	return nil
}

func (s *Server) cubeLevel(cubeID, kind string) (*dataset, *level, *apiError) {
	if e := ruleType("RuleType", kind); e != nil {
		return nil, nil, e
	}
	d, e := s.cube(cubeID)
	if e != nil {
		return nil, nil, e
	}
	return d, d.levels[kind], nil
}

type peopleJSON struct {
	Users      []string `json:"users"`
	UserGroups []string `json:"userGroups"`
}

type contentModelJSON struct {
	RuleContentType      *string `json:"ruleContentType"`
	RuleContentJson      *string `json:"ruleContentJson"`
	RuleOriginConfigJson *string `json:"ruleOriginConfigJson,omitempty"`
}

type ruleModelIn struct {
	RuleID           *string           `json:"ruleId"`
	CubeID           *string           `json:"cubeId"`
	RuleName         *string           `json:"ruleName"`
	RuleLevelType    *string           `json:"ruleLevelType"`
	RuleTargetScope  *string           `json:"ruleTargetScope"`
	HitTakeEffect    *int              `json:"hitTakeEffect"`
	RuleUsersModel   *peopleJSON       `json:"ruleUsersModel"`
	RuleContentModel *contentModelJSON `json:"ruleContentModel"`
	IsOpen           *int              `json:"isOpen"`
	PermissionMode   *string           `json:"permissionMode"`
}

type ruleModelOut struct {
	RuleId           string           `json:"ruleId"`
	CubeId           string           `json:"cubeId"`
	RuleName         string           `json:"ruleName"`
	RuleLevelType    string           `json:"ruleLevelType"`
	RuleTargetScope  string           `json:"ruleTargetScope"`
	HitTakeEffect    int              `json:"hitTakeEffect"`
	IsOpen           int              `json:"isOpen"`
	RuleUsersModel   peopleJSON       `json:"ruleUsersModel"`
	RuleContentModel contentModelJSON `json:"ruleContentModel"`
}

func ruleOut(cubeID string, r *rule) ruleModelOut {
	ct, cj := r.contentType, r.contentJSON
	out := ruleModelOut{RuleId: r.id, CubeId: cubeID, RuleName: r.name, RuleLevelType: r.kind,
		RuleTargetScope: r.scope, HitTakeEffect: r.hitTakeEffect, IsOpen: r.isOpen,
		RuleUsersModel:   peopleJSON{Users: append([]string{}, r.users...), UserGroups: append([]string{}, r.groups...)},
		RuleContentModel: contentModelJSON{RuleContentType: &ct, RuleContentJson: &cj}}
	if r.originJSON != "" {
		o := r.originJSON
		out.RuleContentModel.RuleOriginConfigJson = &o
	}
	return out
}

// people checks UserIds (members) and UserGroupIds (existing groups).
func (s *Server) people(p *peopleJSON) ([]string, []string, *apiError) {
	if p == nil {
		return []string{}, []string{}, nil
	}
	for _, id := range p.Users {
		if s.w.users[id] == nil {
			return nil, nil, userNotInOrg(id)
		}
	}
	for _, id := range p.UserGroups {
		if s.w.groups[id] == nil {
			return nil, nil, groupNotExist(id)
		}
	}
	return sortedUnique(p.Users), sortedUnique(p.UserGroups), nil
}

func jsonObjectText(name, v string) *apiError {
	var obj map[string]any
	if err := json.Unmarshal([]byte(v), &obj); err != nil || obj == nil {
		return invalid("%s is JSON text holding an object", name)
	}
	return nil
}

// SetDataLevelPermissionRuleConfig creates a rule (no ruleId) or updates
// it (ruleId): the model is whole either way, people included.
func (s *Server) setDataLevelPermissionRuleConfig(c *call) (any, error) {
	var m ruleModelIn
	if e := strictJSON("RuleModel", c.str("RuleModel"), &m); e != nil {
		return nil, e
	}
	need := func(v *string, key string) (string, *apiError) {
		if v == nil || *v == "" {
			return "", invalid("RuleModel.%s is required", key)
		}
		return *v, nil
	}
	cubeID, e := need(m.CubeID, "cubeId")
	if e != nil {
		return nil, e
	}
	kind, e := need(m.RuleLevelType, "ruleLevelType")
	if e != nil {
		return nil, e
	}
	if e := ruleType("RuleModel.ruleLevelType", kind); e != nil {
		return nil, e
	}
	name, e := need(m.RuleName, "ruleName")
	if e != nil {
		return nil, e
	}
	if utf8.RuneCountInString(name) > 255 {
		return nil, tooLong("ruleName")
	}
	scope, e := need(m.RuleTargetScope, "ruleTargetScope")
	if e != nil {
		return nil, e
	}
	if scope != "ALL" && scope != "OTHERS" {
		return nil, invalid("RuleModel.ruleTargetScope is ALL or OTHERS")
	}
	d, l, e := s.cubeLevel(cubeID, kind)
	if e != nil {
		return nil, e
	}
	users, groups, e := s.people(m.RuleUsersModel)
	if e != nil {
		return nil, e
	}
	if scope == "ALL" && len(users)+len(groups) > 0 {
		return nil, invalid("a rule for ALL lists no people in ruleUsersModel")
	}
	cm := m.RuleContentModel
	if cm == nil {
		return nil, invalid("RuleModel.ruleContentModel is required")
	}
	ct, e := need(cm.RuleContentType, "ruleContentModel.ruleContentType")
	if e != nil {
		return nil, e
	}
	if ct != defaultContentType(kind) {
		return nil, invalid("a %s rule has ruleContentType %s", kind, defaultContentType(kind))
	}
	cj, e := need(cm.RuleContentJson, "ruleContentModel.ruleContentJson")
	if e != nil {
		return nil, e
	}
	if e := jsonObjectText("ruleContentJson", cj); e != nil {
		return nil, e
	}
	origin := ""
	if cm.RuleOriginConfigJson != nil {
		origin = *cm.RuleOriginConfigJson
		if e := jsonObjectText("ruleOriginConfigJson", origin); e != nil {
			return nil, e
		}
	}
	hit, open := 1, 1
	if m.HitTakeEffect != nil {
		if *m.HitTakeEffect != 0 && *m.HitTakeEffect != 1 {
			return nil, invalid("RuleModel.hitTakeEffect is 0 or 1")
		}
		hit = *m.HitTakeEffect
	}
	if m.IsOpen != nil {
		if *m.IsOpen != 0 && *m.IsOpen != 1 {
			return nil, invalid("RuleModel.isOpen is 0 or 1")
		}
		open = *m.IsOpen
	}
	mode := ""
	if m.PermissionMode != nil {
		mode = *m.PermissionMode
	}
	var r *rule
	if m.RuleID != nil {
		for _, x := range l.rules {
			if x.id == *m.RuleID {
				r = x
			}
		}
		if r == nil {
			return nil, invalid("rule %s does not exist in dataset %s (%s)", *m.RuleID, d.id, kind)
		}
	}
	for _, x := range l.rules {
		if x.name == name && x != r {
			return nil, invalid("a %s rule named %s already exists in dataset %s", kind, name, d.id)
		}
	}
	if r == nil {
		id := s.w.uuid("rule")
		for s.ruleExists(id) {
			id = s.w.uuid("rule")
		}
		r = &rule{seq: s.w.next(), id: id, kind: kind}
		l.rules = append(l.rules, r)
	}
	r.name, r.scope, r.hitTakeEffect, r.isOpen, r.permissionMode = name, scope, hit, open, mode
	r.users, r.groups, r.contentType, r.contentJSON, r.originJSON = users, groups, ct, cj, origin
	d.modified = c.now
	return marshalPlain(ruleOut(d.id, r)), nil
}

func (s *Server) findRule(cubeID, ruleID string) (*dataset, *level, *rule, *apiError) {
	d, e := s.cube(cubeID)
	if e != nil {
		return nil, nil, nil, e
	}
	for _, kind := range []string{RowLevel, ColumnLevel} {
		l := d.levels[kind]
		for _, r := range l.rules {
			if r.id == ruleID {
				return d, l, r, nil
			}
		}
	}
	return nil, nil, nil, invalid("rule %s does not exist in dataset %s", ruleID, cubeID)
}

func (s *Server) deleteDataLevelRuleConfig(c *call) (any, error) {
	_, l, r, e := s.findRule(c.str("CubeId"), c.str("RuleId"))
	if e != nil {
		return nil, e
	}
	kept := l.rules[:0:0]
	for _, x := range l.rules {
		if x != r {
			kept = append(kept, x)
		}
	}
	l.rules = kept
	return true, nil
}

// ruleUsers changes a rule's people: AddUserModel / DeleteUserModel.
func (s *Server) ruleUsers(c *call, param, key string, add bool) (any, error) {
	var m struct {
		RuleID   *string     `json:"ruleId"`
		CubeID   *string     `json:"cubeId"`
		AddModel *peopleJSON `json:"addModel,omitempty"`
		DelModel *peopleJSON `json:"delModel,omitempty"`
	}
	if e := strictJSON(param, c.str(param), &m); e != nil {
		return nil, e
	}
	model := m.AddModel
	other := m.DelModel
	if !add {
		model, other = m.DelModel, m.AddModel
	}
	if other != nil {
		return nil, invalid("%s has no key %s", param, map[bool]string{true: "delModel", false: "addModel"}[add])
	}
	if m.RuleID == nil || *m.RuleID == "" || m.CubeID == nil || *m.CubeID == "" || model == nil {
		return nil, invalid("%s needs ruleId, cubeId and %s", param, key)
	}
	if len(model.Users)+len(model.UserGroups) == 0 {
		return nil, invalid("%s.%s lists no users and no user groups", param, key)
	}
	_, _, r, e := s.findRule(*m.CubeID, *m.RuleID)
	if e != nil {
		return nil, e
	}
	if r.scope == "ALL" {
		return nil, invalid("rule %s applies to ALL: it has no people", r.id)
	}
	if add {
		users, groups, e := s.people(model)
		if e != nil {
			return nil, e
		}
		r.users = sortedUnique(append(r.users, users...))
		r.groups = sortedUnique(append(r.groups, groups...))
		return true, nil
	}
	before := len(r.users) + len(r.groups)
	r.users = removeAll(r.users, model.Users)
	r.groups = removeAll(r.groups, model.UserGroups)
	return len(r.users)+len(r.groups) != before, nil
}

func (s *Server) addDataLevelPermissionRuleUsers(c *call) (any, error) {
	return s.ruleUsers(c, "AddUserModel", "addModel", true)
}

func (s *Server) deleteDataLevelPermissionRuleUsers(c *call) (any, error) {
	return s.ruleUsers(c, "DeleteUserModel", "delModel", false)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ListCubeDataLevelPermissionConfig: the Result is a JSON string.
func (s *Server) listCubeDataLevelPermissionConfig(c *call) (any, error) {
	d, l, e := s.cubeLevel(c.str("CubeId"), c.str("RuleType"))
	if e != nil {
		return nil, e
	}
	kind := c.str("RuleType")
	rules := []ruleModelOut{}
	for _, r := range l.rules {
		rules = append(rules, ruleOut(d.id, r))
	}
	v := map[string]any{
		"cubeId": d.id, "ruleType": kind, "isOpen": boolInt(l.open),
		"extraConfigModel": map[string]any{"cubeId": d.id, "ruleType": kind, "missHitPolicy": l.missHit},
		"ruleModels":       rules,
	}
	return marshalPlain(v), nil
}

func (s *Server) setDataLevelPermissionExtraConfig(c *call) (any, error) {
	_, l, e := s.cubeLevel(c.str("CubeId"), c.str("RuleType"))
	if e != nil {
		return nil, e
	}
	p := c.str("MissHitPolicy")
	if p != "NONE" && p != "ALL" {
		return nil, invalid("MissHitPolicy is NONE or ALL")
	}
	l.missHit = p
	return true, nil
}

// SetDataLevelPermissionWhiteList replaces a whitelist.
func (s *Server) setDataLevelPermissionWhiteList(c *call) (any, error) {
	var m struct {
		CubeID     *string     `json:"cubeId"`
		RuleType   *string     `json:"ruleType"`
		UsersModel *peopleJSON `json:"usersModel"`
	}
	if e := strictJSON("WhiteListModel", c.str("WhiteListModel"), &m); e != nil {
		return nil, e
	}
	if m.CubeID == nil || m.RuleType == nil || m.UsersModel == nil {
		return nil, invalid("WhiteListModel needs cubeId, ruleType and usersModel")
	}
	_, l, e := s.cubeLevel(*m.CubeID, *m.RuleType)
	if e != nil {
		return nil, e
	}
	users, groups, e := s.people(m.UsersModel)
	if e != nil {
		return nil, e
	}
	l.whiteUsers, l.whiteGroups = users, groups
	return true, nil
}

// AddDataLevelPermissionWhiteList adds or removes users (TargetType 1) or
// groups (2). The SDK marks only CubeId required; the simulator needs all.
func (s *Server) addDataLevelPermissionWhiteList(c *call) (any, error) {
	for _, k := range []string{"RuleType", "OperateType", "TargetType", "TargetIds"} {
		if !c.has(k) {
			return nil, paramEmpty(k)
		}
	}
	_, l, e := s.cubeLevel(c.str("CubeId"), c.str("RuleType"))
	if e != nil {
		return nil, e
	}
	op, target := c.str("OperateType"), c.str("TargetType")
	if op != "ADD" && op != "DELETE" {
		return nil, invalid("OperateType is ADD or DELETE")
	}
	if target != "1" && target != "2" {
		return nil, invalid("TargetType is 1 (users) or 2 (user groups)")
	}
	ids, e := splitList("TargetIds", c.str("TargetIds"))
	if e != nil {
		return nil, e
	}
	list := &l.whiteUsers
	if target == "2" {
		list = &l.whiteGroups
	}
	if op == "DELETE" {
		*list = removeAll(*list, ids)
		return true, nil
	}
	p := &peopleJSON{Users: ids}
	if target == "2" {
		p = &peopleJSON{UserGroups: ids}
	}
	users, groups, e := s.people(p)
	if e != nil {
		return nil, e
	}
	*list = sortedUnique(append(*list, append(users, groups...)...))
	return true, nil
}

func (s *Server) listDataLevelPermissionWhiteList(c *call) (any, error) {
	d, l, e := s.cubeLevel(c.str("CubeId"), c.str("RuleType"))
	if e != nil {
		return nil, e
	}
	return map[string]any{"CubeId": d.id, "RuleType": c.str("RuleType"),
		"UsersModel": map[string]any{"Users": append([]string{}, l.whiteUsers...), "UserGroups": append([]string{}, l.whiteGroups...)}}, nil
}

func (s *Server) updateDataLevelPermissionStatus(c *call) (any, error) {
	_, l, e := s.cubeLevel(c.str("CubeId"), c.str("RuleType"))
	if e != nil {
		return nil, e
	}
	v := c.num("IsOpen")
	if v != 0 && v != 1 {
		return nil, invalidType("IsOpen")
	}
	l.open = v == 1
	return true, nil
}

func (s *Server) queryDatasetSwitchInfo(c *call) (any, error) {
	d, e := s.cube(c.str("CubeId"))
	if e != nil {
		return nil, e
	}
	return map[string]any{"CubeId": d.id, "IsOpenRowLevelPermission": boolInt(d.levels[RowLevel].open),
		"IsOpenColumnLevelPermission": boolInt(d.levels[ColumnLevel].open)}, nil
}

// QueryDatasetList: newest first; Keyword matches the name.
func (s *Server) queryDatasetList(c *call) (any, error) {
	ws, e := s.workspace(c.str("WorkspaceId"))
	if e != nil {
		return nil, e
	}
	num, size, e := page(c)
	if e != nil {
		return nil, e
	}
	var ds []*dataset
	for _, d := range ws.datasets {
		ds = append(ds, d)
	}
	sortBy(ds, func(d *dataset) int64 { return -d.seq })
	kw, dir := c.str("Keyword"), c.str("DirectoryId")
	var out []map[string]any
	for _, d := range ds {
		if kw != "" && !strings.Contains(d.name, kw) {
			continue
		}
		if dir != "" && d.dirID != dir {
			continue
		}
		owner := ""
		if u := s.w.users[d.owner]; u != nil {
			owner = u.nick
		}
		out = append(out, map[string]any{
			"DatasetId": d.id, "DatasetName": d.name, "Description": d.desc, "WorkspaceId": ws.id,
			"WorkspaceName": ws.name, "OwnerId": d.owner, "OwnerName": owner,
			"CreateTime": fmtTime(d.created), "ModifyTime": fmtTime(d.modified),
			"RowLevel": d.levels[RowLevel].open, "OpenOfflineAcceleration": false,
			"DataSource": map[string]any{"DsId": d.dsID, "DsName": d.dsName, "DsType": d.dsTy},
			"Directory":  map[string]any{"Id": d.dirID, "Name": d.dirName, "PathId": d.dirID, "PathName": d.dirName},
		})
	}
	return pageOf(out, num, size), nil
}

// marshalPlain is JSON text without HTML escaping (as Java servers write
// it).
func marshalPlain(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimRight(buf.String(), "\n")
}
