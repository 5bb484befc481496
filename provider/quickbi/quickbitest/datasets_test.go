package quickbitest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

type cubeConfig struct {
	CubeId           string `json:"cubeId"`
	RuleType         string `json:"ruleType"`
	IsOpen           int    `json:"isOpen"`
	ExtraConfigModel struct {
		CubeId        string `json:"cubeId"`
		RuleType      string `json:"ruleType"`
		MissHitPolicy string `json:"missHitPolicy"`
	} `json:"extraConfigModel"`
	RuleModels []ruleModelOut `json:"ruleModels"`
}

func readRules(t *testing.T, c *tc, cube, kind string) cubeConfig {
	t.Helper()
	var text string
	c.ok("ListCubeDataLevelPermissionConfig", p("CubeId", cube, "RuleType", kind), &text)
	var cfg cubeConfig
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("Result is not the documented JSON string: %v: %s", err, text)
	}
	return cfg
}

func ruleModel(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}

func TestListRules(t *testing.T) {
	_, c := newServer(t, baseSeed)
	ls := c.uid("ops:lisi")
	cfg := readRules(t, c, "cube-orders", RowLevel)
	if cfg.IsOpen != 1 || cfg.ExtraConfigModel.MissHitPolicy != "NONE" || len(cfg.RuleModels) != 1 {
		t.Fatalf("config %+v", cfg)
	}
	r := cfg.RuleModels[0]
	if r.RuleId != "rule-north" || r.RuleTargetScope != "OTHERS" || !reflect.DeepEqual(r.RuleUsersModel.Users, []string{ls}) ||
		!reflect.DeepEqual(r.RuleUsersModel.UserGroups, []string{"sales-north"}) || *r.RuleContentModel.RuleContentType != "ROW_FIELD" {
		t.Fatalf("rule %+v", r)
	}
	var content map[string]any
	if err := json.Unmarshal([]byte(*r.RuleContentModel.RuleContentJson), &content); err != nil || content["conditionNode"] == nil {
		t.Fatalf("ruleContentJson %q", *r.RuleContentModel.RuleContentJson)
	}
	col := readRules(t, c, "cube-orders", ColumnLevel)
	if col.IsOpen != 0 || len(col.RuleModels) != 1 || *col.RuleModels[0].RuleContentModel.RuleContentType != "COLUMN_FORBID" {
		t.Fatalf("column %+v", col)
	}
	c.bad("ListCubeDataLevelPermissionConfig", p("CubeId", "nope", "RuleType", RowLevel), CodeCubeNotExist)
	c.bad("ListCubeDataLevelPermissionConfig", p("CubeId", "cube-orders", "RuleType", "ROW"), CodeInvalidParamError)
}

func TestSetRule(t *testing.T) {
	s, c := newServer(t, baseSeed)
	zs, ls, ww := c.uid("ops:zhangsan"), c.uid("ops:lisi"), c.uid("ops:wangwu")
	content := map[string]any{"ruleContentType": "ROW_FIELD", "ruleContentJson": `{"conditionNode":{"name":"region","value":{"value":["华东"],"valueType":"ENUM"}}}`}
	// Create: no ruleId.
	var saved string
	c.ok("SetDataLevelPermissionRuleConfig", p("RuleModel", ruleModel(map[string]any{
		"cubeId": "cube-orders", "ruleName": "华东数据", "ruleLevelType": RowLevel, "ruleTargetScope": "OTHERS",
		"ruleUsersModel": map[string]any{"users": []string{zs}, "userGroups": []string{"finance"}}, "ruleContentModel": content,
	})), &saved)
	var out ruleModelOut
	if err := json.Unmarshal([]byte(saved), &out); err != nil || out.RuleId == "" || out.RuleName != "华东数据" {
		t.Fatalf("saved rule %s", saved)
	}
	// Update: the whole people list is replaced.
	c.ok("SetDataLevelPermissionRuleConfig", p("RuleModel", ruleModel(map[string]any{
		"ruleId": out.RuleId, "cubeId": "cube-orders", "ruleName": "华东数据", "ruleLevelType": RowLevel,
		"ruleTargetScope": "OTHERS", "ruleUsersModel": map[string]any{"users": []string{ls, ww}}, "ruleContentModel": content,
	})), nil)
	rule := s.Snapshot().Dataset("cube-orders").Row.Rule("华东数据")
	if !reflect.DeepEqual(rule.Users, sortedUnique([]string{ls, ww})) || len(rule.Groups) != 0 {
		t.Fatalf("people after update %+v", rule)
	}
	if n := len(readRules(t, c, "cube-orders", RowLevel).RuleModels); n != 2 {
		t.Fatalf("%d rules, want 2 (an update is not a create)", n)
	}
	// Add and delete people incrementally.
	c.isTrue("AddDataLevelPermissionRuleUsers", p("AddUserModel", ruleModel(map[string]any{"ruleId": out.RuleId, "cubeId": "cube-orders",
		"addModel": map[string]any{"users": []string{zs}, "userGroups": []string{"hq"}}})))
	c.isTrue("DeleteDataLevelPermissionRuleUsers", p("DeleteUserModel", ruleModel(map[string]any{"ruleId": out.RuleId, "cubeId": "cube-orders",
		"delModel": map[string]any{"users": []string{ww}}})))
	rule = s.Snapshot().Dataset("cube-orders").Row.Rule("华东数据")
	if !reflect.DeepEqual(rule.Users, sortedUnique([]string{zs, ls})) || !reflect.DeepEqual(rule.Groups, []string{"hq"}) {
		t.Fatalf("people %+v", rule)
	}
	var changed bool
	c.ok("DeleteDataLevelPermissionRuleUsers", p("DeleteUserModel", ruleModel(map[string]any{"ruleId": out.RuleId, "cubeId": "cube-orders",
		"delModel": map[string]any{"users": []string{ww}}})), &changed)
	if changed {
		t.Fatal("removing nobody answered true")
	}
	c.bad("AddDataLevelPermissionRuleUsers", p("AddUserModel", ruleModel(map[string]any{"ruleId": out.RuleId, "cubeId": "cube-orders",
		"addModel": map[string]any{"users": []string{"ffffffffffffffffffffffffffffffff"}}})), CodeUserNotInOrg)
	c.bad("AddDataLevelPermissionRuleUsers", p("AddUserModel", ruleModel(map[string]any{"ruleId": "nope", "cubeId": "cube-orders",
		"addModel": map[string]any{"users": []string{zs}}})), CodeInvalidParamError)
	c.bad("AddDataLevelPermissionRuleUsers", p("AddUserModel", ruleModel(map[string]any{"ruleId": out.RuleId, "cubeId": "cube-orders",
		"delModel": map[string]any{"users": []string{zs}}})), CodeInvalidParamError)
	// Delete the rule by id.
	c.isTrue("DeleteDataLevelRuleConfig", p("CubeId", "cube-orders", "RuleId", out.RuleId))
	c.bad("DeleteDataLevelRuleConfig", p("CubeId", "cube-orders", "RuleId", out.RuleId), CodeInvalidParamError)
	if n := len(readRules(t, c, "cube-orders", RowLevel).RuleModels); n != 1 {
		t.Fatalf("%d rules after delete", n)
	}
}

func TestRuleModelStrict(t *testing.T) {
	_, c := newServer(t, baseSeed)
	zs := c.uid("ops:zhangsan")
	base := func() map[string]any {
		return map[string]any{"cubeId": "cube-orders", "ruleName": "新规则", "ruleLevelType": ColumnLevel, "ruleTargetScope": "OTHERS",
			"ruleUsersModel":   map[string]any{"users": []string{zs}},
			"ruleContentModel": map[string]any{"ruleContentType": "COLUMN_FORBID", "ruleContentJson": `{"pathId":["a1"]}`}}
	}
	with := func(k string, v any) string {
		m := base()
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return ruleModel(m)
	}
	for name, model := range map[string]string{
		"unknown key rule":      with("rule", "x"),
		"no cubeId":             with("cubeId", nil),
		"no ruleName":           with("ruleName", nil),
		"bad type":              with("ruleLevelType", "ROW"),
		"scope as number":       with("ruleTargetScope", 2),
		"scope word":            with("ruleTargetScope", "SOME"),
		"ALL with people":       with("ruleTargetScope", "ALL"),
		"content type mismatch": with("ruleContentModel", map[string]any{"ruleContentType": "ROW_FIELD", "ruleContentJson": `{}`}),
		"content not JSON":      with("ruleContentModel", map[string]any{"ruleContentType": "COLUMN_FORBID", "ruleContentJson": `pathId`}),
		"content as object":     with("ruleContentModel", map[string]any{"ruleContentType": "COLUMN_FORBID", "ruleContentJson": map[string]any{}}),
		"no content":            with("ruleContentModel", nil),
		"hitTakeEffect 2":       with("hitTakeEffect", 2),
		"unknown rule id":       with("ruleId", "nope"),
		"name taken":            with("ruleName", "隐藏成本"),
		"not JSON":              "{cubeId: x}",
		"two values":            ruleModel(base()) + ruleModel(base()),
	} {
		e := c.call("SetDataLevelPermissionRuleConfig", p("RuleModel", model))
		if e.HTTP != 400 || e.Code != CodeInvalidParamError {
			t.Errorf("%s: HTTP %d %s, want 400 %s", name, e.HTTP, e.Code, CodeInvalidParamError)
		}
	}
	c.bad("SetDataLevelPermissionRuleConfig", p("RuleModel", with("cubeId", "nope")), CodeCubeNotExist)
	c.bad("SetDataLevelPermissionRuleConfig", p("RuleModel", with("ruleUsersModel", map[string]any{"userGroups": []string{"nope"}})), CodeGroupNotExist)
	c.ok("SetDataLevelPermissionRuleConfig", p("RuleModel", with("hitTakeEffect", 0)), nil)
	if n := len(c.s.Snapshot().Dataset("cube-orders").Column.Rules); n != 2 {
		t.Fatalf("%d column rules, want 2: every refused model changed nothing", n)
	}
}

func TestWhitelistsSwitchesPolicy(t *testing.T) {
	s, c := newServer(t, baseSeed)
	zs, ls, ww := c.uid("ops:zhangsan"), c.uid("ops:lisi"), c.uid("ops:wangwu")
	type wl struct {
		CubeId, RuleType string
		UsersModel       struct{ Users, UserGroups []string }
	}
	var got wl
	c.ok("ListDataLevelPermissionWhiteList", p("CubeId", "cube-orders", "RuleType", RowLevel), &got)
	if !reflect.DeepEqual(got.UsersModel.Users, []string{zs}) || !reflect.DeepEqual(got.UsersModel.UserGroups, []string{"hq"}) {
		t.Fatalf("whitelist %+v", got)
	}
	// Set replaces.
	c.isTrue("SetDataLevelPermissionWhiteList", p("WhiteListModel", ruleModel(map[string]any{"cubeId": "cube-orders", "ruleType": RowLevel,
		"usersModel": map[string]any{"users": []string{ls}}})))
	c.ok("ListDataLevelPermissionWhiteList", p("CubeId", "cube-orders", "RuleType", RowLevel), &got)
	if !reflect.DeepEqual(got.UsersModel.Users, []string{ls}) || len(got.UsersModel.UserGroups) != 0 {
		t.Fatalf("after set %+v", got)
	}
	c.bad("SetDataLevelPermissionWhiteList", p("WhiteListModel", `{"cubeId":"cube-orders","ruleType":"ROW_LEVEL"}`), CodeInvalidParamError)
	c.bad("SetDataLevelPermissionWhiteList", p("WhiteListModel", `{"cubeId":"cube-orders","ruleType":"ROW_LEVEL","usersModel":{},"x":1}`), CodeInvalidParamError)
	// Add and delete by target type.
	c.isTrue("AddDataLevelPermissionWhiteList", p("CubeId", "cube-orders", "RuleType", RowLevel, "OperateType", "ADD", "TargetType", "1", "TargetIds", zs+","+ww))
	c.isTrue("AddDataLevelPermissionWhiteList", p("CubeId", "cube-orders", "RuleType", RowLevel, "OperateType", "ADD", "TargetType", "2", "TargetIds", "finance"))
	c.isTrue("AddDataLevelPermissionWhiteList", p("CubeId", "cube-orders", "RuleType", RowLevel, "OperateType", "DELETE", "TargetType", "1", "TargetIds", ls))
	lvl := s.Snapshot().Dataset("cube-orders").Row
	if !reflect.DeepEqual(lvl.WhiteUsers, sortedUnique([]string{zs, ww})) || !reflect.DeepEqual(lvl.WhiteGroups, []string{"finance"}) {
		t.Fatalf("whitelist %+v", lvl)
	}
	c.bad("AddDataLevelPermissionWhiteList", p("CubeId", "cube-orders", "RuleType", RowLevel, "OperateType", "ADD", "TargetType", "3", "TargetIds", zs), CodeInvalidParamError)
	c.bad("AddDataLevelPermissionWhiteList", p("CubeId", "cube-orders", "RuleType", RowLevel, "OperateType", "PUT", "TargetType", "1", "TargetIds", zs), CodeInvalidParamError)
	c.bad("AddDataLevelPermissionWhiteList", p("CubeId", "cube-orders", "OperateType", "ADD", "TargetType", "1", "TargetIds", zs), CodeParamEmpty)
	c.bad("AddDataLevelPermissionWhiteList", p("RuleType", RowLevel), "MissingCubeId")
	c.bad("AddDataLevelPermissionWhiteList", p("CubeId", "cube-orders", "RuleType", RowLevel, "OperateType", "ADD", "TargetType", "2", "TargetIds", "nope"), CodeGroupNotExist)
	// Miss-hit policy and switches.
	c.isTrue("SetDataLevelPermissionExtraConfig", p("CubeId", "cube-orders", "RuleType", ColumnLevel, "MissHitPolicy", "ALL"))
	c.bad("SetDataLevelPermissionExtraConfig", p("CubeId", "cube-orders", "RuleType", ColumnLevel, "MissHitPolicy", "all"), CodeInvalidParamError)
	if cfg := readRules(t, c, "cube-orders", ColumnLevel); cfg.ExtraConfigModel.MissHitPolicy != "ALL" {
		t.Fatalf("policy %+v", cfg.ExtraConfigModel)
	}
	c.isTrue("UpdateDataLevelPermissionStatus", p("CubeId", "cube-orders", "RuleType", RowLevel, "IsOpen", "0"))
	c.isTrue("UpdateDataLevelPermissionStatus", p("CubeId", "cube-orders", "RuleType", ColumnLevel, "IsOpen", "1"))
	c.bad("UpdateDataLevelPermissionStatus", p("CubeId", "cube-orders", "RuleType", ColumnLevel, "IsOpen", "2"), "InvalidIsOpen")
	c.bad("UpdateDataLevelPermissionStatus", p("CubeId", "cube-orders", "RuleType", ColumnLevel, "IsOpen", "true"), "InvalidIsOpen")
	var sw struct {
		CubeId                                                string
		IsOpenRowLevelPermission, IsOpenColumnLevelPermission int
	}
	c.ok("QueryDatasetSwitchInfo", p("CubeId", "cube-orders"), &sw)
	if sw.IsOpenRowLevelPermission != 0 || sw.IsOpenColumnLevelPermission != 1 {
		t.Fatalf("switches %+v", sw)
	}
	c.bad("QueryDatasetSwitchInfo", p("CubeId", "nope"), CodeCubeNotExist)
}

func TestQueryDatasetList(t *testing.T) {
	_, c := newServer(t, baseSeed)
	var list pagedOut[map[string]any]
	c.ok("QueryDatasetList", p("WorkspaceId", "ws-sales"), &list)
	if list.TotalNum != 2 || list.Data[0]["DatasetId"] != "cube-stock" || list.Data[1]["RowLevel"] != true || list.Data[0]["RowLevel"] != false {
		t.Fatalf("datasets (newest first) %+v", list.Data)
	}
	c.ok("QueryDatasetList", p("WorkspaceId", "ws-sales", "Keyword", "订"), &list)
	if list.TotalNum != 1 {
		t.Fatalf("keyword %+v", list)
	}
	c.bad("QueryDatasetList", p("WorkspaceId", "nope"), CodeWorkspaceNotExist)
}

// TestOldRowPermissionModel: without the organization's upgrade every
// row/column action is refused; reading datasets still works.
func TestOldRowPermissionModel(t *testing.T) {
	_, c := newServer(t, strings.Replace(baseSeed, "  name: 测试组织\n", "  name: 测试组织\n  newRowPermissionModel: false\n", 1))
	c.bad("ListCubeDataLevelPermissionConfig", p("CubeId", "cube-orders", "RuleType", RowLevel), CodeInvalidParamError)
	c.bad("UpdateDataLevelPermissionStatus", p("CubeId", "cube-orders", "RuleType", RowLevel, "IsOpen", "1"), CodeInvalidParamError)
	c.bad("QueryDatasetSwitchInfo", p("CubeId", "cube-orders"), CodeInvalidParamError)
	c.ok("QueryDatasetList", p("WorkspaceId", "ws-sales"), nil)
	if c.s.Snapshot().Organization.NewRowPermissionModel {
		t.Fatal("snapshot shows the new model")
	}
}
