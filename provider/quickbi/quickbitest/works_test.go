package quickbitest

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestQueryWorksByWorkspace(t *testing.T) {
	_, c := newServer(t, baseSeed)
	var list pagedOut[map[string]any]
	c.ok("QueryWorksByWorkspace", p("WorkspaceId", "ws-sales"), &list)
	if list.TotalNum != 4 || list.Data[0]["WorksId"] != "works-board" || list.Data[0]["OwnerId"] != c.uid("ops:zhangsan") ||
		list.Data[0]["Auth3rdFlag"] != float64(1) || list.Data[0]["GmtCreate"] != "1704067200000" {
		t.Fatalf("works %+v", list.Data)
	}
	c.ok("QueryWorksByWorkspace", p("WorkspaceId", "ws-sales", "WorksType", "REPORT"), &list)
	if list.TotalNum != 1 {
		t.Fatalf("REPORT %+v", list)
	}
	c.ok("QueryWorksByWorkspace", p("WorkspaceId", "ws-sales", "ThirdPartAuthFlag", "1"), &list)
	if list.TotalNum != 3 {
		t.Fatalf("embedded %+v", list)
	}
	c.bad("QueryWorksByWorkspace", p("WorkspaceId", "ws-sales", "WorksType", "CHART"), CodeInvalidParamError)
	c.bad("QueryWorksByWorkspace", p("WorkspaceId", "nope"), CodeWorkspaceNotExist)
	var on bool
	c.ok("QueryEmbeddedStatus", p("WorksId", "works-report"), &on)
	if on {
		t.Fatal("works-report is not embedded")
	}
	var n int
	c.ok("UpdateEmbeddedStatus", p("WorksId", "works-report,works-board", "ThirdPartAuthFlag", "true"), &n)
	if n != 1 {
		t.Fatalf("changed %d", n)
	}
	c.bad("UpdateEmbeddedStatus", p("WorksId", "works-report,nope", "ThirdPartAuthFlag", "false"), CodeReportNotExist)
}

func TestCreateTicketChecks(t *testing.T) {
	_, c := newServer(t, strings.Replace(baseSeed, "  name: 测试组织\n", "  name: 测试组织\n  globalParam: true\n", 1))
	zs := c.uid("ops:zhangsan")
	w := func(kv ...string) map[string]string { return p(append([]string{"WorksId", "works-board"}, kv...)...) }
	c.bad("CreateTicket", p("WorksId", "nope"), CodeReportNotExist)
	c.bad("CreateTicket", p("WorksId", "works-report"), CodeEmbedOff)
	c.bad("CreateTicket", p("WorksId", "works-portal"), CodeInvalidParamError)
	c.bad("CreateTicket", w("UserId", zs, "AccountName", "ops:zhangsan", "AccountType", "5"), CodeInvalidParamError)
	c.bad("CreateTicket", w("AccountName", "ops:zhangsan"), CodeParamEmpty)
	c.bad("CreateTicket", w("AccountType", "5"), CodeInvalidParamError)
	c.bad("CreateTicket", w("AccountName", "ops:zhangsan", "AccountType", "1"), CodeApiUserNotExists)
	c.bad("CreateTicket", w("AccountName", "ops:nobody", "AccountType", "5"), CodeApiUserNotExists)
	c.bad("CreateTicket", w("AccountName", "ops@aliyun.com:zhangsan", "AccountType", "5"), CodeApiUserNotExists)
	c.bad("CreateTicket", w("AccountName", "ops:zhangsan", "AccountType", "2"), "InvalidAccountType")
	c.bad("CreateTicket", w("UserId", "ffffffffffffffffffffffffffffffff"), CodeInvalidUserOrg)
	c.bad("CreateTicket", w("TicketNum", "0"), CodeTicketNumExceed)
	c.bad("CreateTicket", w("TicketNum", "100000"), CodeTicketNumExceed)
	c.bad("CreateTicket", w("TicketNum", "1.5"), "InvalidTicketNum")
	c.bad("CreateTicket", w("ExpireTime", "241"), CodeInvalidParamError)
	c.bad("CreateTicket", w("ExpireTime", "0"), CodeInvalidParamError)
	c.bad("CreateTicket", w("WatermarkParam", strings.Repeat("水", 51)), CodeLengthExceed)
	c.bad("CreateTicket", p("WorksId", "works-screen", "WatermarkParam", "三方嵌入"), CodeScreenWatermark)
	c.bad("CreateTicket", w("CmptId", "cmpt-9"), CodeObjectNotExist)
	c.bad("CreateTicket", p("WorksId", "works-screen", "CmptId", "cmpt-1"), CodeInvalidParamError)
	c.bad("CreateTicket", w("GlobalParam", `{"paramKey":"price"}`), CodeInvalidParamError)
	c.bad("CreateTicket", w("GlobalParam", `[{"paramKey":"price","joinType":"and","conditionList":[{"operate":">","value":"0"}],"x":1}]`), CodeInvalidParamError)
	c.bad("CreateTicket", w("GlobalParam", `[{"paramKey":"price","joinType":"xor","conditionList":[{"operate":">","value":"0"}]}]`), CodeInvalidParamError)
	c.bad("CreateTicket", w("GlobalParam", `[]`), CodeInvalidParamError)
	c.ok("CreateTicket", w("TicketNum", "99999", "ExpireTime", "240", "WatermarkParam", strings.Repeat("水", 50), "CmptId", "cmpt-2",
		"GlobalParam", `[{"paramKey":"price","joinType":"and","conditionList":[{"operate":">","value":"0"}]}]`), nil)
	if n := len(c.s.Snapshot().Tickets); n != 1 {
		t.Fatalf("%d tickets, want 1: refused calls make none", n)
	}
}

func TestGlobalParamRestricted(t *testing.T) {
	_, c := newServer(t, baseSeed)
	c.bad("CreateTicket", p("WorksId", "works-board", "GlobalParam",
		`[{"paramKey":"price","joinType":"and","conditionList":[{"operate":">","value":"0"}]}]`), CodeGlobalParamRestrict)
}

func TestTickets(t *testing.T) {
	clk := &clock{t: time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)}
	s, c := newServer(t, baseSeed, withClock(clk))
	ls := c.uid("ops:lisi")
	var byUser, byAccount, byOwner string
	c.ok("CreateTicket", p("WorksId", "works-board", "UserId", ls, "TicketNum", "2", "ExpireTime", "30"), &byUser)
	c.ok("CreateTicket", p("WorksId", "works-board", "AccountName", "ops:lisi", "AccountType", "5"), &byAccount)
	c.ok("CreateTicket", p("WorksId", "works-screen"), &byOwner)
	st := s.Snapshot()
	for _, tt := range []struct {
		ticket, user, by string
		max              int
	}{{byUser, ls, "UserId", 2}, {byAccount, ls, "AccountName", 1}, {byOwner, s.AdminUserID(), "Owner", 1}} {
		tk := st.Ticket(tt.ticket)
		if tk == nil || tk.UserID != tt.user || tk.BoundBy != tt.by || tk.MaxUses != tt.max {
			t.Fatalf("ticket %+v, want bound to %s by %s", tk, tt.user, tt.by)
		}
	}
	if tk := st.Ticket(byUser); !tk.Expires.Equal(clk.Now().Add(30 * time.Minute)) {
		t.Fatalf("expiry %v", tk.Expires)
	}
	if tk := st.Ticket(byAccount); !tk.Expires.Equal(clk.Now().Add(240 * time.Minute)) {
		t.Fatalf("default expiry %v", tk.Expires)
	}
	// QueryTicketInfo reads one ticket by value.
	var info map[string]any
	c.ok("QueryTicketInfo", p("Ticket", byUser), &info)
	if info["UserId"] != ls || info["MaxTicketNum"] != float64(2) || info["UsedTicketNum"] != float64(0) ||
		info["RegisterTime"] != "2025-06-01 10:00:00" || info["InvalidTime"] != "2025-06-01 10:30:00" {
		t.Fatalf("info %v", info)
	}
	// Visits use the ticket up.
	code := func(err error) string {
		var e *Error
		if errors.As(err, &e) {
			return e.Code
		}
		return ""
	}
	if _, err := s.VisitTicket(byUser, "works-screen"); code(err) != CodeTicketWorksMismatch {
		t.Fatalf("mismatch: %v", err)
	}
	for i := 0; i < 2; i++ {
		if u, err := s.VisitTicket(byUser, "works-board"); err != nil || u != ls {
			t.Fatalf("visit %d: %s %v", i, u, err)
		}
	}
	if _, err := s.VisitTicket(byUser, "works-board"); code(err) != CodeTicketNoneLeft {
		t.Fatalf("third visit: %v", err)
	}
	c.ok("QueryTicketInfo", p("Ticket", byUser), &info)
	if info["UsedTicketNum"] != float64(2) {
		t.Fatalf("used %v", info["UsedTicketNum"])
	}
	// More uses; not fewer than used.
	c.bad("UpdateTicketNum", p("Ticket", byUser, "TicketNum", "1"), CodeTicketNumExceed)
	c.bad("UpdateTicketNum", p("Ticket", byUser, "TicketNum", "99999"), CodeTicketNumExceed)
	c.isTrue("UpdateTicketNum", p("Ticket", byUser, "TicketNum", "3"))
	if _, err := s.VisitTicket(byUser, "works-board"); err != nil {
		t.Fatal(err)
	}
	// Extend, then expire.
	clk.Add(20 * time.Minute)
	c.isTrue("DelayTicketExpireTime", p("Ticket", byUser, "ExpireTime", "10"))
	c.bad("DelayTicketExpireTime", p("Ticket", byUser, "ExpireTime", "241"), CodeInvalidParamError)
	clk.Add(15 * time.Minute) // 35 minutes after creation; expires at 40
	c.isTrue("UpdateTicketNum", p("Ticket", byUser, "TicketNum", "5"))
	clk.Add(5 * time.Minute)
	if _, err := s.VisitTicket(byUser, "works-board"); code(err) != CodeTicketExpired {
		t.Fatalf("expired visit: %v", err)
	}
	c.bad("DelayTicketExpireTime", p("Ticket", byUser, "ExpireTime", "10"), CodeTicketExpired)
	c.bad("UpdateTicketNum", p("Ticket", byUser, "TicketNum", "6"), CodeTicketExpired)
	c.ok("QueryTicketInfo", p("Ticket", byUser), nil) // an expired ticket can be read
	// Delete.
	c.isTrue("DeleteTicket", p("Ticket", byAccount))
	c.bad("QueryTicketInfo", p("Ticket", byAccount), CodeTicketNotExist)
	c.bad("DeleteTicket", p("Ticket", byAccount), CodeTicketNotExist)
	if _, err := s.VisitTicket(byAccount, "works-board"); code(err) != CodeTicketNotExist {
		t.Fatalf("deleted: %v", err)
	}
}
