package quickbitest

import "unicode/utf8"

// User tags: organization-wide definitions, one value string per user and
// tag, read one user per call.

// ClearTagValue is the value that clears a member's tag. Only this exact
// string clears; "$NULL$" without the parentheses is stored as written.
const ClearTagValue = "($NULL$)"

func (s *Server) tag(id string) (*tagMeta, *apiError) {
	t := s.w.tags[id]
	if t == nil {
		return nil, bizErr(CodeTagNotInOrg, "The user tag %s is not in the current organization.", id)
	}
	return t, nil
}

func checkTagDescription(v string) *apiError {
	if utf8.RuneCountInString(v) > 255 {
		return bizErr(CodeNameMaxLength, "The description exceeds the maximum length of 255 characters.")
	}
	return nil
}

func (s *Server) addUserTagMeta(c *call) (any, error) {
	w := s.w
	name, desc := c.str("TagName"), c.str("TagDescription")
	if e := checkTagName(name); e != nil {
		return nil, e
	}
	if e := checkTagDescription(desc); e != nil {
		return nil, e
	}
	if w.tagByName(name) != nil {
		return nil, bizErr(CodeTagNameRepeat, "The tag name %s already exists.", name)
	}
	if len(w.tags) >= w.org.maxTags {
		return nil, bizErr(CodeTagLimit, "The number of user tags exceeds the limit of %d.", w.org.maxTags)
	}
	id := w.uuid("tag")
	for w.tags[id] != nil {
		id = w.uuid("tag")
	}
	w.tags[id] = &tagMeta{seq: w.next(), id: id, name: name, desc: desc}
	return id, nil
}

func (s *Server) updateUserTagMeta(c *call) (any, error) {
	if len(c.str("TagId")) > 64 {
		return nil, tooLong("TagId")
	}
	t, e := s.tag(c.str("TagId"))
	if e != nil {
		return nil, e
	}
	name := c.str("TagName")
	if e := checkTagName(name); e != nil {
		return nil, e
	}
	if o := s.w.tagByName(name); o != nil && o != t {
		return nil, bizErr(CodeTagNameRepeat, "The tag name %s already exists.", name)
	}
	if c.has("TagDescription") {
		if e := checkTagDescription(c.str("TagDescription")); e != nil {
			return nil, e
		}
		t.desc = c.str("TagDescription")
	}
	t.name = name
	return true, nil
}

// DeleteUserTagMeta removes the definition and every member's value.
func (s *Server) deleteUserTagMeta(c *call) (any, error) {
	t, e := s.tag(c.str("TagId"))
	if e != nil {
		return nil, e
	}
	delete(s.w.tags, t.id)
	for _, u := range s.w.users {
		delete(u.tags, t.id)
	}
	return true, nil
}

// QueryUserTagMetaList (GET, no parameters).
func (s *Server) queryUserTagMetaList(c *call) (any, error) {
	type item struct {
		TagId          string `json:"TagId"`
		TagName        string `json:"TagName"`
		TagDescription string `json:"TagDescription"`
	}
	out := []item{}
	for _, t := range s.w.tagsInOrder() {
		out = append(out, item{TagId: t.id, TagName: t.name, TagDescription: t.desc})
	}
	return out, nil
}

// UpdateUserTagValue sets one member's value (≤3000 characters) or clears
// it with ($NULL$).
func (s *Server) updateUserTagValue(c *call) (any, error) {
	u := s.w.users[c.str("UserId")]
	if u == nil {
		return nil, bizErr(CodeInvalidUserOrg, "The user is not in your organization.")
	}
	t, e := s.tag(c.str("TagId"))
	if e != nil {
		return nil, e
	}
	v := c.str("TagValue")
	if utf8.RuneCountInString(v) > 3000 {
		return nil, tooLong("TagValue")
	}
	if v == ClearTagValue {
		delete(u.tags, t.id)
	} else {
		u.tags[t.id] = v
	}
	return true, nil
}

// QueryUserTagValueList (GET): the member's tags that have a value; unset
// tags are not listed.
func (s *Server) queryUserTagValueList(c *call) (any, error) {
	u := s.w.users[c.str("UserId")]
	if u == nil {
		return nil, bizErr(CodeInvalidUserOrg, "The user is not in your organization.")
	}
	type item struct {
		TagId    string `json:"TagId"`
		TagName  string `json:"TagName"`
		TagValue string `json:"TagValue"`
	}
	out := []item{}
	for _, t := range s.w.tagsInOrder() {
		if v, ok := u.tags[t.id]; ok {
			out = append(out, item{TagId: t.id, TagName: t.name, TagValue: v})
		}
	}
	return out, nil
}
