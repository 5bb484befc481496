package spec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// SchemaID is the $id of the JSON Schema of the format.
const SchemaID = "https://github.com/permsync/permsync/spec/permsync.schema.json"

// QuickBISchemaID is the $id of the JSON Schema of Quick BI's files.
const QuickBISchemaID = "https://github.com/permsync/permsync/spec/permsync-quickbi.schema.json"

// schemaRequired are the fields a file must give, per type. Other fields
// are optional and may be null (null is the same as absent).
var schemaRequired = map[string][]string{
	"Document":          {"version"},
	"Department":        {"code", "name"},
	"User":              {"uniqueId"},
	"UserOrg":           {"code"},
	"SystemRole":        {"name"},
	"Project":           {"name"},
	"Member":            {"user"},
	"Group":             {"name"},
	"Role":              {"name"},
	"DataPermission":    {"name"},
	"Resource":          {"type", "permissions"},
	"Rule":              {"connection", "details"},
	"Field":             {"field", "dataType"},
	"TreeCond":          {"dims", "cond"},
	"DataMask":          {"field", "dataType"},
	"ResourceMember":    {"type", "id", "members"},
	"ResourceMemberRef": {"user", "permissions"},

	"QuickBIDocument":  {"version", "provider"},
	"QuickBITag":       {"name"},
	"QuickBIUser":      {"account"},
	"QuickBIGroup":     {"id", "name"},
	"QuickBIWorkspace": {"name"},
	"QuickBIMember":    {"user", "roles"},
	"QuickBIRule":      {"name", "content"},
}

// schemaDoc describes fields ("Type.field") for editors.
var schemaDoc = map[string]string{
	"Document.version":              "Format version; must be 1.",
	"Document.provider":             "The server the file targets; absent: " + DefaultProvider + ". All files of one run target the same one. A Quick BI file says provider: " + QuickBIProvider + " and has its own schema, permsync-quickbi.schema.json.",
	"Document.settings":             "Global options. At most one file may set them.",
	"Document.orgs":                 "The org (department) tree: orgStructure/syncOrg.",
	"Document.users":                "Domain users: user/batchImport. Users may also be referenced without being declared here.",
	"Document.systemRoles":          "Custom, domain-wide system roles: systemRole/add.",
	"Document.projects":             "Projects and what permsync manages inside each.",
	"Settings.prune":                "Also delete objects absent from the files that permsync did not create, per kind. All default to false.",
	"Settings.protectedUsers":       "Users never removed from the domain, a project or an admin role, whatever else the files say.",
	"Settings.maxDeletes":           "Cap on deletions per kind: a count (10) or a share (10%). Default 10%, at least 1. An apply over it is refused.",
	"Settings.strictUsers":          "true: every user referenced must be declared under users:.",
	"Settings.deleteProjects":       "Projects whose deletion (with every report in them) the files confirm; a plan deleting another project is refused.",
	"Settings.leavers":              "keep (default): users marked left keep their access, with a warning; revoke: they leave every project the files name.",
	"Orgs.company":                  "Renames the company (the root of the org tree). At most one file may set it.",
	"Orgs.departments":              "Departments; may be spread over files. A department permsync synced before that is absent is deleted only with prune.orgs.",
	"Department.code":               "Unique code of the department (orgCode).",
	"Department.name":               "Display name.",
	"Department.parent":             "Code of the parent department; must be declared; no cycles. Absent: under the company.",
	"Department.admins":             "Department admins (uniqueIds); the first is the main admin.",
	"Department.description":        "Free text.",
	"User.uniqueId":                 "Login of the user; unique.",
	"User.email":                    "E-mail address.",
	"User.phone":                    "Phone number; quote it.",
	"User.nick":                     "Display name.",
	"User.department":               "Department shown on the profile (text).",
	"User.company":                  "Company shown on the profile (text).",
	"User.position":                 "Job title.",
	"User.left":                     "The user has left (ifLeave).",
	"User.allowExternal":            "networkConfig.allowExternal.",
	"User.orgs":                     "Department membership; when present it replaces the user's membership (userOrgs).",
	"User.attrs":                    "User attribute values by attribute name or numeric id, for dynamic row permissions. null clears an attribute; [] means none.",
	"User.customInfo":               "Free-form customInfo of the user.",
	"UserOrg.code":                  "Department code.",
	"UserOrg.role":                  "leader or normal (default normal).",
	"SystemRole.name":               "Name of the custom system role; not admin, editor or viewer.",
	"SystemRole.description":        "Free text.",
	"Project.name":                  "Project name; unique.",
	"Project.id":                    "Pin to an existing project id.",
	"Project.description":           "Project description.",
	"Project.members":               "When present, the exact membership of the project, with system roles.",
	"Project.groups":                "User groups of the project.",
	"Project.roles":                 "Resource roles (API type 0 for level 1, 3 for level 2).",
	"Project.dataPermissions":       "Row-level permissions (API type 2).",
	"Project.resourceMembers":       "Direct members of single resources (directResourcePerm/syncMembers).",
	"Member.user":                   "uniqueId of the member.",
	"Member.systemRoles":            "admin, editor, viewer or the name of a custom system role. When present, exact.",
	"Group.name":                    "Group name; unique in the project.",
	"Group.folder":                  "Folder of the group (one level).",
	"Group.description":             "Free text.",
	"Group.members":                 "uniqueIds; when present, the exact membership.",
	"Role.name":                     "Role name; unique among the project's roles.",
	"Role.folder":                   "Folder of the role (one level).",
	"Role.level":                    "1 = 一级角色 (type 0, default), 2 = 二级角色 (type 3).",
	"Role.description":              "Free text.",
	"Role.users":                    "uniqueIds holding the role; when present, exact.",
	"Role.groups":                   "Group names of this project holding the role; when present, exact.",
	"Role.orgs":                     "Department codes holding the role; when present, exact.",
	"Role.expires":                  "When a user, group or department's binding ends: \"2006-01-02 15:04:05\", UTC+08:00.",
	"Role.resources":                "When present, replaces the role's resource permissions.",
	"DataPermission.name":           "Name; unique among the project's data permissions.",
	"DataPermission.folder":         "Folder (one level).",
	"DataPermission.description":    "Free text.",
	"DataPermission.users":          "uniqueIds holding the permission; when present, exact.",
	"DataPermission.groups":         "Group names of this project; when present, exact.",
	"DataPermission.orgs":           "Department codes; when present, exact.",
	"DataPermission.expires":        "When a user, group or department's binding ends: \"2006-01-02 15:04:05\", UTC+08:00.",
	"DataPermission.rules":          "When present, replaces the permission's rules (dataPermissions of importDataPermissions).",
	"Resource.type":                 "Resource type (resourceType).",
	"Resource.id":                   "resourceId; give id or path.",
	"Resource.path":                 "resourceNamePaths: folders and name; give id or path.",
	"Resource.folder":               "The path names a folder (isFolder).",
	"Resource.permissions":          "Permissions; which ones depends on type.",
	"Rule.connection":               "dataConnectionId.",
	"Rule.type":                     "row (default), column or table.",
	"Rule.mode":                     "fixed (default) or dynamic.",
	"Rule.rule":                     "or (default) or and.",
	"Rule.details":                  "The API's own detail objects.",
	"ResourceMember.type":           "resourceName: DATA_MODEL, DATA_CONNECTION or NEW_REPORT.",
	"ResourceMember.id":             "resourceId.",
	"ResourceMember.members":        "The complete list of direct members; [] removes them all.",
	"ResourceMemberRef.user":        "uniqueId.",
	"ResourceMemberRef.permissions": "Permissions of the member.",

	"QuickBIDocument.version":        "Format version; must be 1.",
	"QuickBIDocument.provider":       "quickbi: the file targets Alibaba Cloud Quick BI. All files of one run target the same server.",
	"QuickBIDocument.settings":       "Global options. At most one file may set them.",
	"QuickBIDocument.tags":           "User tag definitions, organization-wide (AddUserTagMeta).",
	"QuickBIDocument.users":          "Organization members (AddUser, UpdateUser). Users may also be referenced without being declared here.",
	"QuickBIDocument.groups":         "The user-group tree, keyed on ids the files choose.",
	"QuickBIDocument.workspaces":     "Workspaces, their members and the row and column permissions of their datasets.",
	"QuickBISettings.prune":          "Also delete objects absent from the files that permsync did not create, per kind. All default to false. Workspace members listed are exact whatever prune says.",
	"QuickBISettings.protectedUsers": "Accounts never removed from the organization, a workspace, a group or an admin role.",
	"QuickBISettings.maxDeletes":     "Cap on deletions per kind: a count (10) or a share (10%). Default 10%, at least 1. An apply over it is refused.",
	"QuickBISettings.transferTo":     "Account that receives the works of the users removed from the organization (DeleteUser's TransferUserId); not a viewer. Absent: each workspace's owner.",
	"QuickBISettings.strictUsers":    "true: every account referenced must be declared under users:.",
	"QuickBIPrune.users":             "Remove organization members absent from the files.",
	"QuickBIPrune.groups":            "Delete user groups absent from the files.",
	"QuickBIPrune.tags":              "Delete tag definitions absent from the files.",
	"QuickBIPrune.rules":             "Delete row and column rules absent from the files, in the datasets the files list.",
	"QuickBITag.name":                "Tag name (TagName): at most 50 characters, letters, digits and / \\ | [ ] ( ); unique.",
	"QuickBITag.description":         "TagDescription, at most 255 characters.",
	"QuickBIUser.account":            "AccountName, the user's key: wangwu, or wangwu:zhangsan for a RAM user. Unique.",
	"QuickBIUser.accountId":          "AccountId, the Alibaba Cloud UID (digits); quote it.",
	"QuickBIUser.nick":               "NickName: at most 50 characters, letters, digits and _ \\ / | ( ) [ ]; unique in the organization.",
	"QuickBIUser.type":               "developer, viewer or analyst (UserType 1, 2, 3).",
	"QuickBIUser.roles":              "Organization roles: admin, permissionAdmin, user or a custom role's name; at most 3. When present, exact.",
	"QuickBIUser.tags":               "Tag values by tag name; null clears a tag; tags not listed are left alone. A value holds no comma; the values joined with commas are at most 3000 characters.",
	"QuickBIUser.inactive":           "IsDeleted: the member stays but is inactive.",
	"QuickBIGroup.id":                "UserGroupId, chosen by the files: at most 64 ASCII letters, digits, -, _ and .; not -1; unique.",
	"QuickBIGroup.name":              "UserGroupName: at most 255 characters, letters, digits and _ \\ / | ( ) [ ]; unique in the organization.",
	"QuickBIGroup.parent":            "Id of the parent group, declared under groups:; no cycles. Absent: top level.",
	"QuickBIGroup.description":       "UserGroupDescription: at most 255 characters, the same as names.",
	"QuickBIGroup.members":           "Accounts; when present, the exact membership.",
	"QuickBIWorkspace.name":          "Workspace name; unique. The workspace is matched by name.",
	"QuickBIWorkspace.id":            "Pins the entry to an existing WorkspaceId.",
	"QuickBIWorkspace.members":       "When present, the exact membership of the workspace, with roles.",
	"QuickBIWorkspace.datasets":      "Datasets whose row and column permissions permsync manages.",
	"QuickBIMember.user":             "Account of the member.",
	"QuickBIMember.roles":            "admin, developer, analyst, viewer or a custom workspace role's name; at least one. Viewers hold no custom role.",
	"QuickBIDataset.id":              "CubeId; give id or name.",
	"QuickBIDataset.name":            "Dataset name, looked up in the workspace; give id or name.",
	"QuickBIDataset.rowLevel":        "Row-level permissions (ROW_LEVEL).",
	"QuickBIDataset.columnLevel":     "Column-level permissions (COLUMN_LEVEL).",
	"QuickBIDataLevel.enabled":       "The switch (UpdateDataLevelPermissionStatus). Absent: left alone.",
	"QuickBIDataLevel.missHit":       "none (no data when no rule matches) or all (MissHitPolicy NONE, ALL).",
	"QuickBIDataLevel.whitelist":     "Users and groups the rules do not restrict; each list, when present, exact.",
	"QuickBIDataLevel.rules":         "Rules, keyed on their names in the dataset and level.",
	"QuickBIPeople.users":            "Accounts.",
	"QuickBIPeople.groups":           "Group ids.",
	"QuickBIRule.name":               "ruleName; unique in the dataset and level.",
	"QuickBIRule.users":              "Accounts the rule applies to.",
	"QuickBIRule.groups":             "Group ids the rule applies to.",
	"QuickBIRule.all":                "true: the rule applies to everyone (ruleTargetScope ALL); give no users or groups.",
	"QuickBIRule.content":            "ruleContentJson: a mapping, or a JSON object written as a string (sent as is).",
}

// schemaEnum lists the values of enumerated fields ("Type.field"; for a
// list, its items).
var schemaEnum = map[string][]string{
	"Document.provider":             {DefaultProvider},
	"UserOrg.role":                  UserOrgRoles,
	"Settings.leavers":              LeaversValues,
	"Resource.type":                 resourceTypes,
	"Rule.type":                     RuleTypes,
	"Rule.mode":                     RuleModes,
	"Rule.rule":                     RuleJoins,
	"Detail.filterType":             FilterTypes,
	"Detail.selectType":             SelectTypes,
	"Field.dataType":                DataTypes,
	"DataMask.dataType":             DataTypes,
	"DataMask.applyRange":           ApplyRanges,
	"ResourceMember.type":           ResourceMemberTypes,
	"ResourceMemberRef.permissions": ResourceMemberPermissions,

	"QuickBIDocument.provider": {QuickBIProvider},
	"QuickBIUser.type":         QuickBIUserTypes,
	"QuickBIDataLevel.missHit": QuickBIMissHit,
}

const (
	// maxDeletesPattern is what a string maxDeletes may hold: a count, or
	// a share from 0% to 100%. ParseMaxDeletes accepts all of it.
	maxDeletesPattern = `^\s*([0-9]+|(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)\s*%)\s*$`
	folderPattern     = `^[^/]*[^/\s][^/]*$`
	datePattern       = `^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$`
	// qbGroupIDPattern is what a Quick BI group id may hold (qbGroupIDRune
	// and qbGroupIDMax); "-1" is refused apart.
	qbGroupIDPattern   = `^[A-Za-z0-9._-]{1,64}$`
	qbAccountIDPattern = `^[0-9]+$`
	qbTagValuePattern  = `^[^,]+$`
)

type schemaGen struct {
	defs map[string]any
}

// JSONSchema returns the JSON Schema (draft-07) of one file of the format,
// generated from the Go types. spec/permsync.schema.json holds its output.
func JSONSchema() []byte {
	return schemaOf(reflect.TypeOf(Document{}), SchemaID, "permsync desired state",
		"One file of permsync's desired state. Files are merged; see docs/format.md.")
}

// QuickBIJSONSchema returns the JSON Schema (draft-07) of one Quick BI
// file (provider: quickbi), generated from the Go types.
// spec/permsync-quickbi.schema.json holds its output.
func QuickBIJSONSchema() []byte {
	return schemaOf(reflect.TypeOf(QuickBIDocument{}), QuickBISchemaID, "permsync desired state for Quick BI",
		"One file of permsync's desired state for Alibaba Cloud Quick BI (provider: quickbi). Files are merged; see docs/format-quickbi.md.")
}

func schemaOf(t reflect.Type, id, title, description string) []byte {
	g := &schemaGen{defs: map[string]any{}}
	root := g.object(t)
	root["$schema"] = "http://json-schema.org/draft-07/schema#"
	root["$id"] = id
	root["title"] = title
	root["description"] = description
	root["definitions"] = g.defs
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		panic("spec: encoding the schema: " + err.Error()) // only plain maps and slices: cannot fail
	}
	return buf.Bytes()
}

// object builds the schema of a struct type.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	names, index := structFields(t)
	props := map[string]any{}
	required := schemaRequired[t.Name()]
	for _, name := range names {
		f := t.FieldByIndex(index[name])
		key := t.Name() + "." + name
		s := g.field(key, f.Type)
		if d := schemaDoc[key]; d != "" {
			s["description"] = d
		}
		if !slices.Contains(required, name) {
			s = nullable(s)
		}
		props[name] = s
	}
	o := map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"properties":           props,
	}
	if len(required) > 0 {
		o["required"] = required
	}
	switch t.Name() {
	case "QuickBIDataset":
		o["oneOf"] = []any{
			map[string]any{"required": []string{"id"}, "not": map[string]any{"required": []string{"name"}}},
			map[string]any{"required": []string{"name"}, "not": map[string]any{"required": []string{"id"}}},
		}
	case "QuickBIRule":
		o["if"] = map[string]any{"required": []string{"all"}, "properties": map[string]any{"all": map[string]any{"const": true}}}
		o["then"] = map[string]any{"not": map[string]any{"anyOf": []any{
			map[string]any{"required": []string{"users"}}, map[string]any{"required": []string{"groups"}},
		}}}
	case "Resource":
		var allOf []any
		for _, typ := range resourceTypes {
			allOf = append(allOf, map[string]any{
				"if": map[string]any{
					"required":   []string{"type"},
					"properties": map[string]any{"type": map[string]any{"const": typ}},
				},
				"then": map[string]any{
					"properties": map[string]any{"permissions": map[string]any{
						"items": map[string]any{"enum": ResourcePermissions[typ]},
					}},
				},
			})
		}
		o["allOf"] = allOf
		o["oneOf"] = []any{
			map[string]any{"required": []string{"id"}, "not": map[string]any{"required": []string{"path"}}},
			map[string]any{"required": []string{"path"}, "not": map[string]any{"required": []string{"id"}}},
		}
	}
	return o
}

// nullable lets a schema also accept null (absent).
func nullable(s map[string]any) map[string]any {
	if _, ok := s["$ref"]; ok {
		desc := s["description"]
		delete(s, "description")
		out := map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
		if desc != nil {
			out["description"] = desc
		}
		return out
	}
	switch t := s["type"].(type) {
	case string:
		s["type"] = []string{t, "null"}
	case nil:
		if _, ok := s["oneOf"]; ok {
			s["oneOf"] = append(s["oneOf"].([]any), map[string]any{"type": "null"})
		}
	}
	if e, ok := s["enum"].([]any); ok {
		s["enum"] = append(e, nil)
	}
	return s
}

func enumOf(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// field builds the schema of a field of type t; key is "Type.field".
func (g *schemaGen) field(key string, t reflect.Type) map[string]any {
	switch key {
	case "Document.version":
		return map[string]any{"const": FormatVersion}
	case "Role.level":
		return map[string]any{"type": "integer", "enum": []any{1, 2}}
	case "Role.expires", "DataPermission.expires":
		return map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string", "pattern": datePattern}}
	case "QuickBIDocument.version":
		return map[string]any{"const": FormatVersion}
	case "QuickBIUser.tags":
		return map[string]any{"type": "object", "propertyNames": map[string]any{"minLength": 1}, "additionalProperties": map[string]any{
			"type": []string{"array", "null"}, "items": map[string]any{"type": "string", "pattern": qbTagValuePattern}}}
	case "QuickBIUser.roles":
		return map[string]any{"type": "array", "maxItems": QuickBIMaxOrgRoles, "uniqueItems": true, "items": map[string]any{"type": "string", "minLength": 1}}
	case "QuickBIUser.accountId":
		return map[string]any{"type": "string", "pattern": qbAccountIDPattern}
	case "QuickBIUser.nick":
		return map[string]any{"type": "string", "minLength": 1, "maxLength": qbNickMax}
	case "QuickBITag.name":
		return map[string]any{"type": "string", "minLength": 1, "maxLength": qbTagNameMax}
	case "QuickBITag.description":
		return map[string]any{"type": "string", "maxLength": qbTagDescMax}
	case "QuickBIGroup.id":
		return map[string]any{"type": "string", "pattern": qbGroupIDPattern, "not": map[string]any{"const": QuickBIRootGroup}}
	case "QuickBIGroup.name":
		return map[string]any{"type": "string", "minLength": 1, "maxLength": qbGroupNameMax}
	case "QuickBIGroup.description":
		return map[string]any{"type": "string", "maxLength": qbGroupNameMax}
	case "QuickBIMember.roles":
		return map[string]any{"type": "array", "minItems": 1, "uniqueItems": true, "items": map[string]any{"type": "string", "minLength": 1}}
	case "QuickBIRule.content":
		return map[string]any{"oneOf": []any{
			map[string]any{"type": "object"},
			map[string]any{"type": "string", "pattern": `^\s*\{`},
		}}
	case "Group.folder", "Role.folder", "DataPermission.folder":
		return map[string]any{"type": "string", "pattern": folderPattern}
	case "User.attrs":
		return map[string]any{"type": "object", "additionalProperties": map[string]any{
			"type": []string{"array", "null"}, "items": map[string]any{"type": "string"}}}
	case "User.customInfo":
		var secrets []string
		for k := range secretKeys {
			secrets = append(secrets, k, strings.ToUpper(k[:1])+k[1:])
		}
		secrets = append(secrets, "tokenKey", "TokenKey", "accessKeySecret", "AccessKeySecret", "securityToken", "SecurityToken")
		sort.Strings(secrets)
		return map[string]any{"type": "object", "propertyNames": map[string]any{"not": map[string]any{"enum": secrets}}}
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == typeMaxDeletes {
		return map[string]any{"oneOf": []any{
			map[string]any{"type": "integer", "minimum": 0},
			map[string]any{"type": "string", "pattern": maxDeletesPattern},
		}}
	}
	switch t.Kind() {
	case reflect.String:
		s := map[string]any{"type": "string"}
		if e := schemaEnum[key]; e != nil {
			s["enum"] = enumOf(e)
		}
		return s
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64:
		s := map[string]any{"type": "integer"}
		switch key {
		case "Resource.id", "ResourceMember.id", "Rule.connection":
			s["minimum"] = 1 // 0 or less is refused
		case "Project.id", "Filter.attrId", "Detail.tableExprId":
			s["minimum"] = 0 // 0 is the same as absent
		}
		return s
	case reflect.Slice:
		items := g.field(key, t.Elem())
		if e := schemaEnum[key]; e != nil && t.Elem().Kind() == reflect.String {
			items = map[string]any{"type": "string", "enum": enumOf(e)}
		}
		return map[string]any{"type": "array", "items": items}
	case reflect.Struct:
		name := t.Name()
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = true // placeholder against recursion
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/definitions/" + name}
	}
	panic("spec: no schema for " + key + " of type " + t.String())
}
