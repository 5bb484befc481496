package youdatatest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"
)

// Embed tokens: util/genToken with authUniqueId or useType, util/rmToken
// and util/renewToken (l.122-800). Every documented parameter is checked
// (unknown ones are refused, so a misspelt one fails), and each token
// keeps what it was bound to, for tests.

// CodeReportDataFilters is the code genToken answers a reportDataFilters
// naming an unknown model with (l.757).
const CodeReportDataFilters = 743

// maxExpiry is genToken's default and longest expiryTime, in seconds.
const maxExpiry = 86400 * 30

// EmbedToken is a token util/genToken issued for a user or a use.
type EmbedToken struct {
	// Token is the value.
	Token string
	// User is authUniqueId (the admin when absent).
	User string
	// UseType is deleteToken, updateToken, or "" for an embed token.
	UseType string
	// ExpiryTime is the life in seconds; Expires when it ends.
	ExpiryTime int64
	Issued     time.Time
	Expires    time.Time
	Once       bool
	// FilterMap, ColumnFilterMap and TableFilterMap are the entries as
	// sent, compacted JSON by connection id; ReportDataFilters likewise.
	FilterMap         map[string]json.RawMessage
	ColumnFilterMap   map[string]json.RawMessage
	TableFilterMap    map[string]json.RawMessage
	ReportDataFilters json.RawMessage
	// Visits counts Visit calls that succeeded; Revoked is set by rmToken.
	Visits  int
	Revoked bool
	// Renewals counts renewToken calls.
	Renewals int
	seq      int
}

type embedState struct {
	now    func() time.Time
	tokens map[string]*EmbedToken
	models map[int64]bool
	seq    int
}

// embedded is the embed state; s.mu is held.
func (s *Server) embedded() *embedState {
	if s.embed == nil {
		s.embed = &embedState{now: time.Now, tokens: map[string]*EmbedToken{}, models: map[int64]bool{}}
	}
	return s.embed
}

// SetEmbedClock sets the clock of embed token expiry.
func (s *Server) SetEmbedClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.embedded().now = now
}

// AddDataModel declares a data model, which reportDataFilters may name.
func (s *Server) AddDataModel(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.embedded().models[id] = true
}

// EmbedTokens lists the tokens issued for users or uses, oldest first.
func (s *Server) EmbedTokens() []EmbedToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []EmbedToken
	for _, t := range s.embedded().tokens {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// Visit opens the integration page with token t, as a browser would: it
// fails once the token has expired, was deleted, or (once) was used.
func (s *Server) Visit(t string) (EmbedToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.embedded()
	tok := st.tokens[t]
	switch {
	case tok == nil || tok.UseType != "":
		return EmbedToken{}, errors.New(MsgTokenInvalid)
	case tok.Revoked:
		return *tok, errors.New("token 已删除")
	case !st.now().Before(tok.Expires):
		return *tok, errors.New(MsgTokenInvalid)
	case tok.Once && tok.Visits > 0:
		return *tok, errors.New("token 只允许访问一次")
	}
	tok.Visits++
	return *tok, nil
}

// genTokenParams are genToken's parameters (l.122-160, and the
// single-sign-on form).
type genTokenParams struct {
	TokenType                    string                     `json:"tokenType"`
	Email                        string                     `json:"email"`
	Password                     string                     `json:"password"`
	Key                          string                     `json:"key"`
	UniqueID                     string                     `json:"uniqueId"`
	IntegrateToken               string                     `json:"integrateToken"`
	AuthUniqueID                 *string                    `json:"authUniqueId"`
	AuthUserID                   *int64                     `json:"authUserId"`
	RelationWithSystemPermission *string                    `json:"relationWithSystemPermission"`
	EnableWatermark              *bool                      `json:"enableWatermark"`
	Watermark                    json.RawMessage            `json:"watermark"`
	FilterMap                    map[string]json.RawMessage `json:"filterMap"`
	ColumnFilterMap              map[string]json.RawMessage `json:"columnFilterMap"`
	TableFilterMap               map[string]json.RawMessage `json:"tableFilterMap"`
	PillFieldMap                 json.RawMessage            `json:"pillFieldMap"`
	TableExprMap                 json.RawMessage            `json:"tableExprMap"`
	ParameterMap                 json.RawMessage            `json:"parameterMap"`
	ExpiryTime                   *int64                     `json:"expiryTime"`
	ResourcePermissions          json.RawMessage            `json:"resourcePermissions"`
	OpenRp                       *bool                      `json:"openRp"`
	ClientSetting                json.RawMessage            `json:"clientSetting"`
	UseType                      *string                    `json:"useType"`
	Once                         *bool                      `json:"once"`
	DomainID                     *int64                     `json:"domainId"`
	AutoRenew                    json.RawMessage            `json:"autoRenew"`
	ApplyScope                   *string                    `json:"applyScope"`
	ProjectID                    *int64                     `json:"projectId"`
	EnableDefaultBookmark        *bool                      `json:"enableDefaultBookmark"`
	ParameterAliasMap            json.RawMessage            `json:"parameterAliasMap"`
	ReportDataFilters            json.RawMessage            `json:"reportDataFilters"`
	UvID                         *string                    `json:"uvId"`
}

// isEmbedRequest reports whether a genToken body asks for more than the
// caller's own token: any parameter beyond the credentials.
func isEmbedRequest(body []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	for k := range m {
		switch k {
		case "tokenType", "email", "password", "key":
		default:
			return true
		}
	}
	return false
}

// genEmbedToken issues a token for a user or a use; the credentials are
// checked already. s.mu is held.
func (s *Server) genEmbedToken(r *request) (any, error) {
	var p genTokenParams
	if err := strictJSON(r.body, &p); err != nil {
		return nil, err
	}
	st := s.embedded()
	tok := &EmbedToken{User: s.st.Admin, ExpiryTime: maxExpiry}
	if p.AuthUserID != nil {
		return nil, badRequest("模拟服务器不支持 authUserId")
	}
	if p.AuthUniqueID != nil {
		u := s.st.Users[*p.AuthUniqueID]
		if *p.AuthUniqueID == "" || u == nil {
			return nil, notFound(MsgNoUser)
		}
		if u.Left || u.Frozen {
			return nil, badRequest("用户已离职或被冻结: %s", *p.AuthUniqueID)
		}
		tok.User = u.UniqueID
	}
	if p.UseType != nil {
		switch *p.UseType {
		case "deleteToken", "updateToken":
			if tok.User != s.st.Admin {
				return nil, badRequest("useType %s 只能由超管为自己生成", *p.UseType)
			}
			tok.UseType = *p.UseType
		default:
			return nil, badRequest("useType 不合法: %q", *p.UseType)
		}
	}
	if p.ExpiryTime != nil {
		if *p.ExpiryTime <= 0 || *p.ExpiryTime > maxExpiry {
			return nil, badRequest("expiryTime 须在 1 到 %d 秒之间: %d", maxExpiry, *p.ExpiryTime)
		}
		tok.ExpiryTime = *p.ExpiryTime
	}
	if p.Once != nil {
		tok.Once = *p.Once
	}
	var err error
	if tok.FilterMap, err = checkConnMap("filterMap", p.FilterMap, checkRowGroup); err != nil {
		return nil, err
	}
	if tok.ColumnFilterMap, err = checkConnMap("columnFilterMap", p.ColumnFilterMap, checkColumnGroup); err != nil {
		return nil, err
	}
	if tok.TableFilterMap, err = checkConnMap("tableFilterMap", p.TableFilterMap, checkTableGroup); err != nil {
		return nil, err
	}
	if len(p.ReportDataFilters) > 0 && string(p.ReportDataFilters) != "null" {
		if err := s.checkReportDataFilters(p.ReportDataFilters); err != nil {
			return nil, err
		}
		tok.ReportDataFilters = compact(p.ReportDataFilters)
	}
	tok.Token = randomToken()
	tok.Issued = st.now()
	tok.Expires = tok.Issued.Add(time.Duration(tok.ExpiryTime) * time.Second)
	st.seq++
	tok.seq = st.seq
	st.tokens[tok.Token] = tok
	return tok.Token, nil
}

// rmToken is GET util/rmToken (l.765): token, made with useType
// deleteToken, deletes t.
func (s *Server) rmToken(r *request) (any, error) {
	st := s.embedded()
	auth, t := r.query.Get("token"), r.query.Get("t")
	a := st.tokens[auth]
	if a == nil || a.UseType != "deleteToken" || !st.now().Before(a.Expires) {
		return nil, errf(CodeTokenInvalid, "%s: 删除 token 需要 useType 为 deleteToken 的 token", MsgTokenInvalid)
	}
	if t == "" {
		return nil, badRequest("缺少参数 t")
	}
	tok := st.tokens[t]
	if tok == nil {
		if _, ok := s.tokens[t]; ok {
			delete(s.tokens, t)
			return "ok", nil
		}
		return nil, notFound("待删除的 token 不存在")
	}
	tok.Revoked = true
	return "ok", nil
}

// renewEmbedToken is util/renewToken for an embed token: token must be of
// useType updateToken; t lives its expiryTime again from now. It reports
// false when t is not an embed token.
func (s *Server) renewEmbedToken(r *request) (any, bool, error) {
	st := s.embedded()
	tok := st.tokens[r.query.Get("t")]
	if tok == nil {
		return nil, false, nil
	}
	a := st.tokens[r.query.Get("token")]
	if a == nil || a.UseType != "updateToken" || !st.now().Before(a.Expires) {
		return nil, true, errf(CodeTokenInvalid, "%s: 续期 token 需要 useType 为 updateToken 的 token", MsgTokenInvalid)
	}
	if tok.Revoked {
		return nil, true, notFound("待续期的 token 已删除")
	}
	tok.Expires = st.now().Add(time.Duration(tok.ExpiryTime) * time.Second)
	tok.Renewals++
	return "ok", true, nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("参数错误: %v", err)
	}
	return nil
}

func compact(b json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return append(json.RawMessage(nil), b...)
	}
	return buf.Bytes()
}

// checkConnMap checks a map by data connection id; each entry is the 5.2
// form {rule, dataFilters} or, for filterMap, the older bare list.
func checkConnMap(name string, m map[string]json.RawMessage, check func(where string, v json.RawMessage) error) (map[string]json.RawMessage, error) {
	if m == nil {
		return nil, nil
	}
	out := map[string]json.RawMessage{}
	for k, v := range m {
		if id, err := strconv.ParseInt(k, 10, 64); err != nil || id <= 0 {
			return nil, badRequest("%s 的键须为数据连接 id: %q", name, k)
		}
		if err := check(fmt.Sprintf("%s[%s]", name, k), v); err != nil {
			return nil, err
		}
		out[k] = compact(v)
	}
	return out, nil
}

var (
	dataTypes   = []string{"Whole", "Decimal", "DateTime", "String", "Date", "Time", "Boolean"}
	selectTypes = []string{"select", "unselect"}
	joins       = []string{"or", "and"}
)

type simField struct {
	Field    string `json:"field"`
	DataType string `json:"dataType"`
}

func (f simField) check(where string) error {
	if f.Field == "" || !slices.Contains(dataTypes, f.DataType) {
		return badRequest("%s: 字段须有 field 与合法的 dataType: %+v", where, f)
	}
	return nil
}

func checkRowGroup(where string, v json.RawMessage) error {
	var filters []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(v), []byte("[")) {
		if err := strictJSON(v, &filters); err != nil {
			return err
		}
	} else {
		var g struct {
			Rule        string            `json:"rule"`
			DataFilters []json.RawMessage `json:"dataFilters"`
		}
		if err := strictJSON(v, &g); err != nil {
			return err
		}
		if !slices.Contains(joins, g.Rule) {
			return badRequest("%s.rule 须为 or 或 and: %q", where, g.Rule)
		}
		filters = g.DataFilters
	}
	if len(filters) == 0 {
		return badRequest("%s: dataFilters 不能为空", where)
	}
	for i, f := range filters {
		if err := checkRowFilter(fmt.Sprintf("%s.dataFilters[%d]", where, i), f); err != nil {
			return err
		}
	}
	return nil
}

func checkRowFilter(where string, v json.RawMessage) error {
	var f struct {
		FilterType  string          `json:"filterType"`
		SelectType  string          `json:"selectType"`
		Database    string          `json:"database"`
		TableName   string          `json:"tableName"`
		TableExprID int64           `json:"tableExprId"`
		Filter      json.RawMessage `json:"filter"`
	}
	if err := strictJSON(v, &f); err != nil {
		return err
	}
	if !slices.Contains(selectTypes, f.SelectType) {
		return badRequest("%s.selectType 须为 select 或 unselect: %q", where, f.SelectType)
	}
	if f.TableExprID != 0 && f.Database != "" {
		return badRequest("%s: 自定义sql一定无 database", where)
	}
	switch f.FilterType {
	case "listFilter":
		var lf struct {
			Dim    *simField `json:"dim"`
			Select []string  `json:"select"`
		}
		if err := strictJSON(f.Filter, &lf); err != nil {
			return err
		}
		if lf.Dim == nil || lf.Select == nil {
			return badRequest("%s.filter: 列表筛选须有 dim 与 select", where)
		}
		return lf.Dim.check(where + ".filter.dim")
	case "treeFilter":
		var tf struct {
			Or  []treeCond `json:"or"`
			And []treeCond `json:"and"`
		}
		if err := strictJSON(f.Filter, &tf); err != nil {
			return err
		}
		conds := append(tf.Or, tf.And...)
		if len(conds) == 0 || (tf.Or != nil && tf.And != nil) {
			return badRequest("%s.filter: 树状筛选须有 or 或 and 之一", where)
		}
		for i, c := range conds {
			if err := c.check(fmt.Sprintf("%s.filter[%d]", where, i)); err != nil {
				return err
			}
		}
		return nil
	}
	return badRequest("%s.filterType 须为 listFilter 或 treeFilter: %q", where, f.FilterType)
}

type treeCond struct {
	Dims []simField `json:"dims"`
	Cond struct {
		InList      [][]string `json:"inlist"`
		ExcludeList [][]string `json:"excludelist"`
	} `json:"cond"`
}

func (c treeCond) check(where string) error {
	if len(c.Dims) == 0 {
		return badRequest("%s.dims 不能为空", where)
	}
	for _, d := range c.Dims {
		if err := d.check(where + ".dims"); err != nil {
			return err
		}
	}
	rows := c.Cond.InList
	if c.Cond.ExcludeList != nil {
		if rows != nil {
			return badRequest("%s.cond: inlist 与 excludelist 只能有一个", where)
		}
		rows = c.Cond.ExcludeList
	}
	if rows == nil {
		return badRequest("%s.cond: 须有 inlist 或 excludelist", where)
	}
	for _, r := range rows {
		if len(r) == 0 || len(r) > len(c.Dims) {
			return badRequest("%s.cond: 每个成员路径的长度须在 1 到 dims 的个数之间", where)
		}
	}
	return nil
}

func checkColumnGroup(where string, v json.RawMessage) error {
	var g struct {
		Rule        string            `json:"rule"`
		Type        string            `json:"type"`
		DataFilters []json.RawMessage `json:"dataFilters"`
	}
	if err := strictJSON(v, &g); err != nil {
		return err
	}
	if !slices.Contains(joins, g.Rule) {
		return badRequest("%s.rule 须为 or 或 and: %q", where, g.Rule)
	}
	if g.Type != "column" {
		return badRequest("%s.type 只支持 column: %q", where, g.Type)
	}
	if len(g.DataFilters) == 0 {
		return badRequest("%s: dataFilters 不能为空", where)
	}
	for i, f := range g.DataFilters {
		if err := checkColumnFilter(fmt.Sprintf("%s.dataFilters[%d]", where, i), f); err != nil {
			return err
		}
	}
	return nil
}

func checkColumnFilter(where string, v json.RawMessage) error {
	var f struct {
		Database    string `json:"database"`
		TableName   string `json:"tableName"`
		TableExprID int64  `json:"tableExprId"`
		TableAlias  string `json:"tableAlias"`
		Type        string `json:"type"`
		DataMasks   []struct {
			Field      string   `json:"field"`
			DataType   string   `json:"dataType"`
			ApplyRange []string `json:"applyRange"`
		} `json:"dataMasks"`
	}
	if err := strictJSON(v, &f); err != nil {
		return err
	}
	if f.TableName == "" {
		return badRequest("%s.tableName 不能为空", where)
	}
	if f.Type != "dataLevel" && f.Type != "presentationLevel" {
		return badRequest("%s.type 须为 dataLevel 或 presentationLevel: %q", where, f.Type)
	}
	if len(f.DataMasks) == 0 {
		return badRequest("%s.dataMasks 不能为空", where)
	}
	for _, m := range f.DataMasks {
		if err := (simField{m.Field, m.DataType}).check(where + ".dataMasks"); err != nil {
			return err
		}
		for _, a := range m.ApplyRange {
			if a != "view" && a != "export" {
				return badRequest("%s.dataMasks.applyRange 须为 view 或 export: %q", where, a)
			}
		}
	}
	return nil
}

func checkTableGroup(where string, v json.RawMessage) error {
	var g struct {
		Rule        string `json:"rule"`
		DataFilters []struct {
			Database   string   `json:"database"`
			Produced   string   `json:"produced"`
			SelectType string   `json:"selectType"`
			Select     []string `json:"select"`
		} `json:"dataFilters"`
	}
	if err := strictJSON(v, &g); err != nil {
		return err
	}
	if !slices.Contains(joins, g.Rule) {
		return badRequest("%s.rule 须为 or 或 and: %q", where, g.Rule)
	}
	if len(g.DataFilters) == 0 {
		return badRequest("%s: dataFilters 不能为空", where)
	}
	for i, f := range g.DataFilters {
		if f.Produced != "Original" && f.Produced != "UserDefinedSQL" {
			return badRequest("%s.dataFilters[%d].produced 须为 Original 或 UserDefinedSQL: %q", where, i, f.Produced)
		}
		if !slices.Contains(selectTypes, f.SelectType) || len(f.Select) == 0 {
			return badRequest("%s.dataFilters[%d]: 须有 selectType 与 select", where, i)
		}
	}
	return nil
}

// checkReportDataFilters checks reportDataFilters (l.160, l.640): every
// model must exist, and each filter as filterMap's.
func (s *Server) checkReportDataFilters(v json.RawMessage) error {
	var rs []struct {
		ReportID         string `json:"reportId"`
		DataModelFilters []struct {
			DataModelID      int64             `json:"dataModelId"`
			DataConnectionID int64             `json:"dataConnectionId"`
			Rule             string            `json:"rule"`
			Type             string            `json:"type"`
			DataFilters      []json.RawMessage `json:"dataFilters"`
		} `json:"dataModelFilters"`
	}
	if err := strictJSON(v, &rs); err != nil {
		return err
	}
	known := s.embedded().models
	for _, p := range s.st.Projects {
		for k := range p.ResourceMembers {
			if k.Type == "DATA_MODEL" {
				known[k.ID] = true
			}
		}
	}
	for i, r := range rs {
		if r.ReportID == "" {
			return badRequest("reportDataFilters[%d].reportId 不能为空", i)
		}
		for j, m := range r.DataModelFilters {
			where := fmt.Sprintf("reportDataFilters[%d].dataModelFilters[%d]", i, j)
			if !known[m.DataModelID] {
				return errf(CodeReportDataFilters, "reportDataFilters 中对应的模型不存在 dataModelId = %d", m.DataModelID)
			}
			if m.DataConnectionID <= 0 || !slices.Contains(joins, m.Rule) || (m.Type != "row" && m.Type != "column") {
				return badRequest("%s: 须有 dataConnectionId、rule (or/and) 与 type (row/column)", where)
			}
			for k, f := range m.DataFilters {
				w := fmt.Sprintf("%s.dataFilters[%d]", where, k)
				var err error
				if m.Type == "row" {
					err = checkRowFilter(w, f)
				} else {
					err = checkColumnFilter(w, f)
				}
				if err != nil {
					return err
				}
			}
		}
	}
	return nil
}
