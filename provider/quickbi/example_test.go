package quickbi_test

import (
	"fmt"
	"strings"

	"bytes"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"testing"

	"github.com/permsync/permsync/plan/render"
)

// TestExampleConverges applies examples/quickbi/desired to a simulator
// seeded with examples/quickbi/server-before.yaml through the pipeline
// permsync apply runs: every change is applied, and the next plan is
// empty.
func TestExampleConverges(t *testing.T) {
	s := newSim(t, loadSeed(t, exampleSeed))
	d := loadDesired(t, exampleDesired)
	p := s.pipeline(d, nil)
	pl, _ := applyAll(t, p)
	var b bytes.Buffer
	_ = render.Text(&b, pl, render.TextOptions{})
	t.Logf("plan:\n%s", b.String())
	if len(pl.Changes) == 0 {
		t.Fatal("the example's plan is empty: nothing is tested")
	}
	expectEmpty(t, p)
}

// TestExampleServer checks what the example's apply leaves on the
// server, facet by facet, through the simulator's snapshot.
func TestExampleServer(t *testing.T) {
	s := newSim(t, loadSeed(t, exampleSeed))
	before := s.Snapshot()
	applyAll(t, s.pipeline(loadDesired(t, exampleDesired), nil))
	noRefusedCalls(t, s)
	st := s.Snapshot()

	// Users: added, changed, tag values set, removed.
	zhouqi := st.User("shiyan:zhouqi")
	if zhouqi == nil || zhouqi.NickName != "周七" || zhouqi.UserType != apiclient.UserTypeAnalyst || zhouqi.Tags["region"] != "华南" {
		t.Errorf("zhouqi: %+v", zhouqi)
	}
	if z := st.User("shiyan:zhangsan"); z.Tags["region"] != "东北,华北" || z.Tags["level"] != "P7" {
		t.Errorf("zhangsan's tags: %v", z.Tags)
	}
	if z := st.User("shiyan:zhaoliu"); z.Inactive || fmt.Sprint(z.Roles) != "[900001 111111113]" {
		t.Errorf("zhaoliu: inactive %v, roles %v", z.Inactive, z.Roles)
	}
	if st.User("shiyan:old.staff") != nil {
		t.Error("old.staff is still a member")
	}
	if st.Tag("level") == nil {
		t.Error("tag level was not defined")
	}

	// Groups: created, moved by a copy with the members, deleted.
	if g := st.Group("sales-east"); g == nil || g.Parent != "sales" || strings.Join(st.Accounts(g.Members), ",") != "shiyan:lisi,shiyan:zhouqi" {
		t.Errorf("sales-east: %+v", g)
	}
	oldBI := before.Group("bi")
	if st.Group("bi") != nil {
		t.Error("the old group bi is still there")
	}
	moved := st.Group("bi--moved")
	if moved == nil || moved.Parent != "sales" || moved.Name != oldBI.Name || strings.Join(st.Accounts(moved.Members), ",") != strings.Join(before.Accounts(oldBI.Members), ",") {
		t.Errorf("the moved group: %+v (was %+v)", moved, oldBI)
	}
	if st.Group("temp") != nil {
		t.Error("group temp was not pruned")
	}

	// Workspace members and row/column permissions.
	ws := st.Workspace("销售分析")
	lisi := st.User("shiyan:lisi")
	if m := ws.Member(lisi.UserID); m == nil || fmt.Sprint(m.Roles) != "[27]" {
		t.Errorf("lisi in 销售分析: %+v", m)
	}
	if m := ws.Member(zhouqi.UserID); m == nil || fmt.Sprint(m.Roles) != "[27]" {
		t.Errorf("zhouqi in 销售分析: %+v", m)
	}
	orders := ws.Dataset("订单")
	if orders.Row.MissHitPolicy != "NONE" || !orders.Column.Open {
		t.Errorf("订单: missHit %s, columns open %v", orders.Row.MissHitPolicy, orders.Column.Open)
	}
	if orders.Row.Rule("旧规则") != nil {
		t.Error("rule 旧规则 was not pruned")
	}
	east := orders.Row.Rule("华东数据")
	if east == nil || fmt.Sprint(east.Groups) != "[sales-east]" || east.Scope != "OTHERS" || !strings.Contains(east.ContentJSON, "华东") {
		t.Errorf("华东数据: %+v", east)
	}
}
