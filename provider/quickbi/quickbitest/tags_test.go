package quickbitest

import (
	"reflect"
	"strings"
	"testing"
)

type tagValue struct{ TagId, TagName, TagValue string }

func TestTagDefinitions(t *testing.T) {
	s, c := newServer(t, baseSeed, func(o *Options) { o.MaxTags = 4 })
	var id string
	c.ok("AddUserTagMeta", p("TagName", "部门(一级)", "TagDescription", "一级部门"), &id)
	if id == "" || s.Snapshot().Tag("部门(一级)").ID != id {
		t.Fatalf("tag id %q", id)
	}
	c.bad("AddUserTagMeta", p("TagName", "region"), CodeTagNameRepeat)
	c.bad("AddUserTagMeta", p("TagName", strings.Repeat("标", 51)), CodeNameLength)
	c.bad("AddUserTagMeta", p("TagName", "a_b"), CodeNameRegexp)
	c.bad("AddUserTagMeta", p("TagName", "a b"), CodeNameRegexp)
	c.bad("AddUserTagMeta", p("TagName", "描述长", "TagDescription", strings.Repeat("d", 256)), CodeNameMaxLength)
	c.ok("AddUserTagMeta", p("TagName", "第四个"), nil)
	c.bad("AddUserTagMeta", p("TagName", "第五个"), CodeTagLimit)
	var list []struct{ TagId, TagName, TagDescription string }
	c.ok("QueryUserTagMetaList", nil, &list)
	if len(list) != 4 || list[0].TagId != "tag-region" || list[0].TagDescription != "区域" || list[2].TagId != id {
		t.Fatalf("tags %+v", list)
	}
	c.isTrue("UpdateUserTagMeta", p("TagId", "tag-level", "TagName", "级别", "TagDescription", "职级"))
	if tg := s.Snapshot().Tag("级别"); tg == nil || tg.Description != "职级" {
		t.Fatalf("renamed %+v", tg)
	}
	c.bad("UpdateUserTagMeta", p("TagId", "tag-level", "TagName", "region"), CodeTagNameRepeat)
	c.bad("UpdateUserTagMeta", p("TagId", "nope", "TagName", "x"), CodeTagNotInOrg)
	c.bad("UpdateUserTagMeta", p("TagId", strings.Repeat("t", 65), "TagName", "x"), CodeLengthExceed)
	// Deleting a definition drops every value.
	c.isTrue("DeleteUserTagMeta", p("TagId", "tag-region"))
	if v := s.Snapshot().User("ops:zhangsan").Tags; len(v) != 0 {
		t.Fatalf("values left %v", v)
	}
	c.bad("DeleteUserTagMeta", p("TagId", "tag-region"), CodeTagNotInOrg)
	c.ok("AddUserTagMeta", p("TagName", "第五个"), nil)
}

func TestTagValues(t *testing.T) {
	s, c := newServer(t, baseSeed)
	zs, ls := c.uid("ops:zhangsan"), c.uid("ops:lisi")
	var vals []tagValue
	c.ok("QueryUserTagValueList", p("UserId", zs), &vals)
	if !reflect.DeepEqual(vals, []tagValue{{"tag-region", "region", "华北,东北"}}) {
		t.Fatalf("values %+v (unset tags are not listed)", vals)
	}
	c.isTrue("UpdateUserTagValue", p("UserId", ls, "TagId", "tag-level", "TagValue", "P7"))
	c.isTrue("UpdateUserTagValue", p("UserId", ls, "TagId", "tag-region", "TagValue", "华东,华南"))
	c.ok("QueryUserTagValueList", p("UserId", ls), &vals)
	if len(vals) != 2 || vals[0].TagValue != "华东,华南" || vals[1].TagValue != "P7" {
		t.Fatalf("values %+v", vals)
	}
	// ($NULL$) clears; $NULL$ without parentheses is a value like any other.
	c.isTrue("UpdateUserTagValue", p("UserId", ls, "TagId", "tag-level", "TagValue", "($NULL$)"))
	c.isTrue("UpdateUserTagValue", p("UserId", ls, "TagId", "tag-region", "TagValue", "$NULL$"))
	if v := s.Snapshot().User("ops:lisi").Tags; !reflect.DeepEqual(v, map[string]string{"region": "$NULL$"}) {
		t.Fatalf("values %v", v)
	}
	c.bad("UpdateUserTagValue", p("UserId", ls, "TagId", "tag-level", "TagValue", ""), CodeParamEmpty)
	c.bad("UpdateUserTagValue", p("UserId", ls, "TagId", "tag-level", "TagValue", strings.Repeat("值", 3001)), CodeLengthExceed)
	c.isTrue("UpdateUserTagValue", p("UserId", ls, "TagId", "tag-level", "TagValue", strings.Repeat("值", 3000)))
	c.bad("UpdateUserTagValue", p("UserId", "ffffffffffffffffffffffffffffffff", "TagId", "tag-level", "TagValue", "x"), CodeInvalidUserOrg)
	c.bad("UpdateUserTagValue", p("UserId", ls, "TagId", "nope", "TagValue", "x"), CodeTagNotInOrg)
	c.bad("QueryUserTagValueList", p("UserId", "ffffffffffffffffffffffffffffffff"), CodeInvalidUserOrg)
	// One user per call: no parameter takes several.
	c.bad("QueryUserTagValueList", p("UserId", zs+","+ls), CodeInvalidUserOrg)
	c.bad("QueryUserTagValueList", p("UserIds", zs), CodeInvalidParamError)
}
