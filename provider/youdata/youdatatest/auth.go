package youdatatest

import (
	"encoding/json"
)

// genToken is POST util/genToken (l.122). It needs no token. tokenType
// tokenKey checks key against Options.TokenKey; userPassword checks email
// (the admin's email or uniqueId, or Options.Email) and Options.Password.
// Every token belongs to the domain admin.
func (s *Server) genToken(r *request) (any, error) {
	var req struct {
		TokenType string `json:"tokenType"`
		Email     string `json:"email"`
		Password  string `json:"password"`
		Key       string `json:"key"`
	}
	// The credentials first; a body with more than them (a user's token,
	// filters, a use) is checked parameter by parameter in embed.go.
	if err := json.Unmarshal(r.body, &req); err != nil {
		return nil, badRequest("参数错误: %v", err)
	}
	switch req.TokenType {
	case "tokenKey":
		if s.opts.TokenKey == "" || req.Key != s.opts.TokenKey {
			return nil, errf(CodeTokenInvalid, "tokenKey 无效")
		}
	case "userPassword":
		if !s.adminEmail(req.Email) || s.opts.Password == "" || req.Password != s.opts.Password {
			return nil, errf(CodeTokenInvalid, "用户名或密码错误")
		}
	case "custom":
		return nil, badRequest("单点登录方式未配置")
	default:
		return nil, badRequest("tokenType 不合法: %q", req.TokenType)
	}
	if isEmbedRequest(r.body) {
		return s.genEmbedToken(r)
	}
	t := randomToken()
	s.tokens[t] = true
	return t, nil
}

func (s *Server) adminEmail(email string) bool {
	if email == "" {
		return false
	}
	if s.opts.Email != "" {
		return email == s.opts.Email
	}
	admin := s.st.Users[s.st.Admin]
	if admin == nil {
		return false
	}
	return email == admin.UniqueID || (admin.Email != nil && email == *admin.Email)
}

// renewToken is GET util/renewToken (l.789): t, a token this server issued,
// becomes valid again.
func (s *Server) renewToken(r *request) (any, error) {
	t := r.query.Get("t")
	if t == "" {
		return nil, badRequest("缺少参数 t")
	}
	if res, ok, err := s.renewEmbedToken(r); ok {
		return res, err
	}
	if tok := r.query.Get("token"); tok == "" || !s.tokens[tok] {
		return nil, errf(CodeTokenInvalid, MsgTokenInvalid)
	}
	if _, ok := s.tokens[t]; !ok {
		return nil, notFound("待续期的 token 不存在")
	}
	s.tokens[t] = true
	return "ok", nil
}
