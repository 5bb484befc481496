package quickbitest

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Works, their embedding switch, and embed tickets.

func (s *Server) work(id string) (*work, *apiError) {
	k := s.w.works[id]
	if k == nil {
		return nil, bizErr(CodeReportNotExist, "This work does not exist. It may have been deleted. Work ID is %s.", id)
	}
	return k, nil
}

// QueryWorksByWorkspace: works in creation order, filtered by type,
// status and embedding.
func (s *Server) queryWorksByWorkspace(c *call) (any, error) {
	ws, e := s.workspace(c.str("WorkspaceId"))
	if e != nil {
		return nil, e
	}
	num, size, e := page(c)
	if e != nil {
		return nil, e
	}
	kind := c.str("WorksType")
	switch kind {
	case "", "DATAPRODUCT", "PAGE", "FULLPAGE", "REPORT":
	default:
		return nil, invalid("WorksType is DATAPRODUCT, PAGE, FULLPAGE or REPORT")
	}
	status, hasStatus := c.num("Status"), c.has("Status")
	if hasStatus && (status < 0 || status > 3) {
		return nil, invalidType("Status")
	}
	flag, hasFlag := c.num("ThirdPartAuthFlag"), c.has("ThirdPartAuthFlag")
	if hasFlag && flag != 0 && flag != 1 {
		return nil, invalidType("ThirdPartAuthFlag")
	}
	var ks []*work
	for _, k := range ws.works {
		ks = append(ks, k)
	}
	sortBy(ks, func(k *work) int64 { return k.seq })
	nick := func(id string) string {
		if u := s.w.users[id]; u != nil {
			return u.nick
		}
		return ""
	}
	var out []map[string]any
	for _, k := range ks {
		if (kind != "" && k.kind != kind) || (hasStatus && int64(k.status) != status) ||
			(hasFlag && int64(boolInt(k.embedded)) != flag) {
			continue
		}
		out = append(out, map[string]any{
			"WorksId": k.id, "WorkName": k.name, "WorkType": k.kind, "WorkspaceId": ws.id, "WorkspaceName": ws.name,
			"OwnerId": k.owner, "OwnerName": nick(k.owner), "ModifyName": nick(k.modifier), "Description": k.desc,
			"SecurityLevel": k.securityLevel, "Status": k.status, "Auth3rdFlag": boolInt(k.embedded),
			"GmtCreate": strconv.FormatInt(ms(k.created), 10), "GmtModify": strconv.FormatInt(ms(k.modified), 10),
			"PublicFlag": k.publicFlag, "PublicInvalidTime": int64(0),
			"Directory": map[string]any{"Id": k.dirID, "Name": k.dirName, "PathId": k.dirID, "PathName": k.dirName},
		})
	}
	return pageOf(out, num, size), nil
}

func (s *Server) queryEmbeddedStatus(c *call) (any, error) {
	k, e := s.work(c.str("WorksId"))
	if e != nil {
		return nil, e
	}
	return k.embedded, nil
}

// UpdateEmbeddedStatus: every work must exist; Result counts the works
// whose switch changed.
func (s *Server) updateEmbeddedStatus(c *call) (any, error) {
	ids, e := splitList("WorksId", c.str("WorksId"))
	if e != nil {
		return nil, e
	}
	var ks []*work
	for _, id := range ids {
		k, e := s.work(id)
		if e != nil {
			return nil, e
		}
		ks = append(ks, k)
	}
	on := c.boolean("ThirdPartAuthFlag")
	n := 0
	for _, k := range ks {
		if k.embedded != on {
			k.embedded = on
			n++
		}
	}
	return n, nil
}

var ticketWorkTypes = map[string]bool{"PAGE": true, "FULLPAGE": true, "REPORT": true, "dashboardOfflineQuery": true,
	"ANALYSIS": true, "DATAFORM": true, "SCREEN": true}

type globalParamIn struct {
	ParamKey      *string `json:"paramKey"`
	JoinType      *string `json:"joinType"`
	ConditionList []struct {
		Operate *string `json:"operate"`
		Value   *string `json:"value"`
	} `json:"conditionList"`
}

// CreateTicket checks every parameter; the ticket is bound to UserId, to
// the member with AccountName and AccountType, or to the work's owner.
func (s *Server) createTicket(c *call) (any, error) {
	w := s.w
	k, e := s.work(c.str("WorksId"))
	if e != nil {
		return nil, e
	}
	if !ticketWorkTypes[k.kind] {
		return nil, invalid("a %s work cannot be embedded with a ticket", k.kind)
	}
	if !k.embedded {
		return nil, bizErr(CodeEmbedOff, "The report is not enabled for third party embedding.")
	}
	t := &ticket{worksID: k.id, max: 1}
	switch {
	case c.has("UserId") && c.has("AccountName"):
		return nil, invalid("give UserId or AccountName, not both")
	case c.has("AccountType") && !c.has("AccountName"):
		return nil, invalid("AccountType goes with AccountName")
	case c.has("UserId"):
		u := w.users[c.str("UserId")]
		if u == nil {
			return nil, bizErr(CodeInvalidUserOrg, "The user is not in your organization.")
		}
		t.userID, t.boundBy = u.id, "UserId"
	case c.has("AccountName"):
		if !c.has("AccountType") {
			return nil, paramEmpty("AccountType")
		}
		at := int(c.num("AccountType"))
		if !validAccountType(at) {
			return nil, invalidType("AccountType")
		}
		u := w.userByAccountName(c.str("AccountName"))
		if u == nil || u.accountType != at {
			return nil, bizErr(CodeApiUserNotExists, "The specified user does not exist.")
		}
		t.userID, t.boundBy, t.accountName, t.accountType = u.id, "AccountName", u.accountName, at
	default:
		t.userID, t.boundBy = k.owner, "Owner"
	}
	if c.has("CmptId") {
		if k.kind != "PAGE" && k.kind != "FULLPAGE" {
			return nil, invalid("CmptId is for dashboards only")
		}
		if !containsString(k.components, c.str("CmptId")) {
			return nil, bizErr(CodeObjectNotExist, "The object you are operating does not exist or has been deleted.")
		}
		t.cmptID = c.str("CmptId")
	}
	if c.has("TicketNum") {
		n := c.num("TicketNum")
		if n < 1 || n > 99999 {
			return nil, bizErr(CodeTicketNumExceed, "The number of tickets %d is invalid.", n)
		}
		t.max = int(n)
	}
	expire := int64(240)
	if c.has("ExpireTime") {
		expire = c.num("ExpireTime")
		if expire < 1 || expire > 240 {
			return nil, invalid("ExpireTime is 1 to 240 minutes")
		}
	}
	if c.has("WatermarkParam") {
		if k.kind == "SCREEN" {
			return nil, bizErr(CodeScreenWatermark, "Screen embed does not support watermark parameters.")
		}
		if utf8.RuneCountInString(c.str("WatermarkParam")) > 50 {
			return nil, tooLong("WatermarkParam")
		}
		t.watermark = c.str("WatermarkParam")
	}
	if c.has("GlobalParam") {
		if !w.org.globalParam {
			return nil, bizErr(CodeGlobalParamRestrict, "The global parameter function is restricted in your version.")
		}
		var gp []globalParamIn
		if e := strictJSON("GlobalParam", c.str("GlobalParam"), &gp); e != nil {
			return nil, e
		}
		if len(gp) == 0 {
			return nil, invalid("GlobalParam is a non-empty JSON array")
		}
		for _, p := range gp {
			if p.ParamKey == nil || *p.ParamKey == "" || len(p.ConditionList) == 0 {
				return nil, invalid("GlobalParam items need paramKey and conditionList")
			}
			if p.JoinType != nil && *p.JoinType != "and" && *p.JoinType != "or" {
				return nil, invalid("GlobalParam joinType is and or or")
			}
			for _, cond := range p.ConditionList {
				if cond.Operate == nil || *cond.Operate == "" || cond.Value == nil {
					return nil, invalid("GlobalParam conditions need operate and value")
				}
			}
		}
		t.globalParam = c.str("GlobalParam")
	}
	t.seq = w.next()
	t.value = w.uuid("ticket")
	for w.tickets[t.value] != nil {
		t.value = w.uuid("ticket")
	}
	t.registered = c.now
	t.invalidTime = c.now.Add(time.Duration(expire) * time.Minute)
	w.tickets[t.value] = t
	return t.value, nil
}

func (s *Server) ticket(v string) (*ticket, *apiError) {
	t := s.w.tickets[v]
	if t == nil {
		return nil, bizErr(CodeTicketNotExist, "Ticket %s does not exist.", v)
	}
	return t, nil
}

func (t *ticket) expired(now time.Time) bool { return !now.Before(t.invalidTime) }

// DelayTicketExpireTime moves the expiry ExpireTime minutes later (0..240);
// an expired ticket cannot be extended.
func (s *Server) delayTicketExpireTime(c *call) (any, error) {
	t, e := s.ticket(c.str("Ticket"))
	if e != nil {
		return nil, e
	}
	m := c.num("ExpireTime")
	if m < 0 || m > 240 {
		return nil, invalid("ExpireTime is 0 to 240 minutes")
	}
	if t.expired(c.now) {
		return nil, bizErr(CodeTicketExpired, "Ticket [%s] has expired.", t.value)
	}
	t.invalidTime = t.invalidTime.Add(time.Duration(m) * time.Minute)
	return true, nil
}

func (s *Server) deleteTicket(c *call) (any, error) {
	t, e := s.ticket(c.str("Ticket"))
	if e != nil {
		return nil, e
	}
	delete(s.w.tickets, t.value)
	return true, nil
}

func (s *Server) queryTicketInfo(c *call) (any, error) {
	t, e := s.ticket(c.str("Ticket"))
	if e != nil {
		return nil, e
	}
	return map[string]any{"AccessTicket": t.value, "WorksId": t.worksID, "CmptId": t.cmptID, "UserId": t.userID,
		"GlobalParam": t.globalParam, "WatermarkParam": t.watermark, "OrganizationId": s.w.org.id,
		"RegisterTime": fmtTime(t.registered), "InvalidTime": fmtTime(t.invalidTime),
		"MaxTicketNum": t.max, "UsedTicketNum": t.used}, nil
}

// UpdateTicketNum sets the uses (1..99998, not below those used).
func (s *Server) updateTicketNum(c *call) (any, error) {
	t, e := s.ticket(c.str("Ticket"))
	if e != nil {
		return nil, e
	}
	n := c.num("TicketNum")
	if n < 1 || n > 99998 || int(n) < t.used {
		return nil, bizErr(CodeTicketNumExceed, "The number of tickets %d is invalid.", n)
	}
	if t.expired(c.now) {
		return nil, bizErr(CodeTicketExpired, "Ticket [%s] has expired.", t.value)
	}
	t.max = int(n)
	return true, nil
}

// VisitTicket is a visit of an embed URL carrying accessTicket=ticket for
// the work worksID: it uses one of the ticket's uses and returns the
// UserId the visit runs as. The errors are the visit-time ones
// (Authorize3rdTicket.NotExist, .Expired, .BindedWorks.Mismatch,
// .Num.HasNoLeft). It is not an API action: the real service counts uses
// when the embedded page is opened.
func (s *Server) VisitTicket(value, worksID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.w.tickets[value]
	now := s.now()
	switch {
	case t == nil:
		return "", &Error{Code: CodeTicketNotExist, Message: "Ticket " + value + " does not exist."}
	case t.expired(now):
		return "", &Error{Code: CodeTicketExpired, Message: "Ticket [" + value + "] has expired."}
	case t.worksID != worksID:
		return "", &Error{Code: CodeTicketWorksMismatch, Message: "The report bound by the ticket mismatches the actual report."}
	case t.used >= t.max:
		return "", &Error{Code: CodeTicketNoneLeft, Message: "There is no ticket number left, please generate new ticket."}
	}
	t.used++
	return t.userID, nil
}
