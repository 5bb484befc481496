package quickbi

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/permsync/permsync/embed"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
)

// EmbedAPI is what the embed issuer needs of the client.
type EmbedAPI interface {
	QueryUserInfoByAccount(ctx context.Context, account, parentAccountName string) (*apiclient.UserInfo, error)
	CreateTicket(ctx context.Context, req apiclient.CreateTicketRequest) (string, error)
	DeleteTicket(ctx context.Context, ticket string) error
	DelayTicketExpireTime(ctx context.Context, ticket string, expireMinutes int) error
}

var _ EmbedAPI = (*apiclient.Client)(nil)

// EmbedIssuer mints Quick BI embed tickets: CreateTicket bound to the
// viewer's UserId, so that the server applies the viewer's row and column
// rules, with the profile's filters as GlobalParam.
type EmbedIssuer struct {
	api EmbedAPI
	now func() time.Time
}

var _ embed.Issuer = (*EmbedIssuer)(nil)

// NewEmbedIssuer makes an issuer over the client.
func NewEmbedIssuer(api EmbedAPI) *EmbedIssuer { return &EmbedIssuer{api: api, now: time.Now} }

// Provider is quickbi.
func (*EmbedIssuer) Provider() string { return Name }

// TicketRequest is CreateTicket's parameters for r, the viewer given by
// account (the UserId is looked up when the ticket is made).
type TicketRequest struct {
	WorksID        string                  `json:"WorksId"`
	CmptID         string                  `json:"CmptId,omitempty"`
	Account        string                  `json:"viewer"`
	UserID         string                  `json:"UserId,omitempty"`
	TicketNum      int                     `json:"TicketNum"`
	ExpireTime     int                     `json:"ExpireTime"`
	WatermarkParam string                  `json:"WatermarkParam,omitempty"`
	GlobalParam    []apiclient.GlobalParam `json:"GlobalParam,omitempty"`
}

// ticketRequest builds CreateTicket's parameters but the UserId.
func ticketRequest(r *embed.Resolved) (*TicketRequest, error) {
	if r.QuickBI == nil || r.QuickBIProfile == nil {
		return nil, errors.New("not a resolved Quick BI profile")
	}
	e := r.QuickBIProfile
	t := &TicketRequest{WorksID: r.Report, CmptID: r.Component, Account: r.Viewer,
		TicketNum: 1, ExpireTime: int(r.Expires / time.Minute)}
	if e.Uses != nil {
		t.TicketNum = *e.Uses
	}
	if e.Watermark != nil {
		t.WatermarkParam = *e.Watermark
	}
	for _, f := range r.QuickBI.Filters {
		gp := apiclient.GlobalParam{ParamKey: f.ParamKey, JoinType: f.JoinType}
		if gp.JoinType == "" {
			gp.JoinType = "and"
		}
		for _, c := range f.ConditionList {
			gp.ConditionList = append(gp.ConditionList, apiclient.Condition{Operate: c.Operate, Value: c.Value})
		}
		t.GlobalParam = append(t.GlobalParam, gp)
	}
	return t, nil
}

// Explain is CreateTicket's parameters; the viewer is named by account,
// the UserId being looked up only when the ticket is made.
func (is *EmbedIssuer) Explain(r *embed.Resolved) (any, error) { return ticketRequest(r) }

// userID looks the viewer's UserId up (QueryUserInfoByAccount): a RAM
// user "primary:sub" is asked for by its own name with its primary
// account as ParentAccountName.
func (is *EmbedIssuer) userID(ctx context.Context, account string) (string, error) {
	acct, parent := account, ""
	if p, sub, ok := strings.Cut(account, ":"); ok {
		acct, parent = sub, p
		if at := strings.IndexByte(acct, '@'); at > 0 {
			acct = acct[:at]
		}
	}
	u, err := is.api.QueryUserInfoByAccount(ctx, acct, parent)
	if err != nil {
		return "", err
	}
	if u == nil || u.UserID == "" {
		return "", fmt.Errorf("account %q: the server gave no UserId", account)
	}
	if got := NormalizeAccount(u.AccountName); got != "" && got != NormalizeAccount(account) {
		return "", fmt.Errorf("account %q: the server answered for %q", account, u.AccountName)
	}
	return u.UserID, nil
}

// Issue looks the viewer's UserId up and calls CreateTicket. The embed
// URL is the profile's url with accessTicket added; without a url there
// is none.
func (is *EmbedIssuer) Issue(ctx context.Context, r *embed.Resolved) (*embed.Credential, error) {
	t, err := ticketRequest(r)
	if err != nil {
		return nil, err
	}
	uid, err := is.userID(ctx, r.Viewer)
	if err != nil {
		return nil, fmt.Errorf("finding the viewer's UserId: %w", err)
	}
	start := r.At
	if start.IsZero() {
		start = is.now()
	}
	ticket, err := is.api.CreateTicket(ctx, apiclient.CreateTicketRequest{WorksID: t.WorksID, CmptID: t.CmptID, UserID: uid,
		TicketNum: t.TicketNum, ExpireTime: t.ExpireTime, WatermarkParam: t.WatermarkParam, GlobalParam: t.GlobalParam})
	if err != nil {
		return nil, err
	}
	c := &embed.Credential{Provider: Name, Profile: r.Profile, Viewer: r.Viewer, Kind: "ticket",
		Value: embed.NewSecret(ticket), Expires: start.Add(time.Duration(t.ExpireTime) * time.Minute), Uses: t.TicketNum}
	if base := r.QuickBIProfile.URL; base != "" {
		c.URL = embed.NewSecret(base + "?" + url.Values{"accessTicket": {ticket}}.Encode())
	}
	return c, nil
}

// Revoke deletes the ticket (DeleteTicket).
func (is *EmbedIssuer) Revoke(ctx context.Context, _ *embed.Resolved, value string) error {
	return is.api.DeleteTicket(ctx, value)
}

// Renew extends the ticket by the profile's expires (DelayTicketExpireTime).
func (is *EmbedIssuer) Renew(ctx context.Context, r *embed.Resolved, value string) error {
	return is.api.DelayTicketExpireTime(ctx, value, int(r.Expires/time.Minute))
}
