package spec

import "fmt"

// Quick BI's part of the format: the documents of files that say
// provider: quickbi. The key names are a contract (docs/format-quickbi.md).

// QuickBIProvider is the name Quick BI files give under provider:.
const QuickBIProvider = "quickbi"

// QuickBIDocument is the content of one YAML file for Quick BI, as
// written.
type QuickBIDocument struct {
	Version    int                `json:"version"`
	Provider   string             `json:"provider"`
	Settings   *QuickBISettings   `json:"settings,omitempty"`
	Tags       []QuickBITag       `json:"tags,omitempty"`
	Users      []QuickBIUser      `json:"users,omitempty"`
	Groups     []QuickBIGroup     `json:"groups,omitempty"`
	Workspaces []QuickBIWorkspace `json:"workspaces,omitempty"`
	// Embeds are the embed profiles (docs/embed.md).
	Embeds []QuickBIEmbed `json:"embeds,omitempty"`
}

// QuickBI is the merged Quick BI part of the files.
type QuickBI struct {
	Settings   QuickBISettings
	Tags       []QuickBITag
	Users      []QuickBIUser
	Groups     []QuickBIGroup
	Workspaces []QuickBIWorkspace
	Embeds     []QuickBIEmbed
}

// QuickBISettings are the global options of a Quick BI organization; at
// most one file may set them.
type QuickBISettings struct {
	Src Source `json:"-"`

	Prune QuickBIPrune `json:"prune"`
	// ProtectedUsers (account names) are never removed from the
	// organization, a workspace, a group or an admin role.
	ProtectedUsers []string `json:"protectedUsers,omitempty"`
	// MaxDeletes caps removals per kind (and per workspace inside one).
	MaxDeletes *MaxDeletes `json:"maxDeletes,omitempty"`
	// TransferTo is the account that receives the works of the users the
	// plan removes from the organization (DeleteUser's TransferUserId);
	// absent, each workspace's owner receives them and the plan says so.
	TransferTo string `json:"transferTo,omitempty"`
	// StrictUsers: every account referenced must be declared under
	// users:.
	StrictUsers bool `json:"strictUsers,omitempty"`
}

// QuickBIPrune turns on deletion of objects absent from the files that
// permsync did not create, per kind. Workspace members listed under a
// workspace are authoritative whatever prune says.
type QuickBIPrune struct {
	Users  bool `json:"users,omitempty"`
	Groups bool `json:"groups,omitempty"`
	Tags   bool `json:"tags,omitempty"`
	Rules  bool `json:"rules,omitempty"`
}

// QuickBITag is an organization-wide user tag definition (AddUserTagMeta).
type QuickBITag struct {
	Src Source `json:"-"`

	Name        string  `json:"name"`
	Description *string `json:"description,omitempty"`
}

// QuickBIUser is an organization member. Nil pointers leave the field
// alone on the server.
type QuickBIUser struct {
	Src Source `json:"-"`

	// Account is the AccountName, the user's key ("wangwu:zhangsan").
	Account string `json:"account"`
	// AccountID is the Alibaba Cloud UID.
	AccountID *string `json:"accountId,omitempty"`
	// Nick is the NickName, unique in the organization.
	Nick *string `json:"nick,omitempty"`
	// Type is developer, viewer or analyst (UserType 1, 2, 3).
	Type *string `json:"type,omitempty"`
	// Roles are organization roles: admin, permissionAdmin, user or a
	// custom role's name; at most 3.
	Roles []string `json:"roles,omitempty"`
	// Tags sets tag values by tag name; a nil value (YAML null) clears
	// the tag. Tags not listed are left alone.
	Tags map[string]*[]string `json:"tags,omitempty"`
	// Inactive is IsDeleted: the member stays but cannot log in.
	Inactive *bool `json:"inactive,omitempty"`
}

// QuickBIGroup is a node of the user-group tree.
type QuickBIGroup struct {
	Src Source `json:"-"`

	// ID is the UserGroupId, chosen by the files; unique.
	ID   string `json:"id"`
	Name string `json:"name"`
	// Parent is another group's id; absent: top level.
	Parent      string  `json:"parent,omitempty"`
	Description *string `json:"description,omitempty"`
	// Members are account names; absent leaves them alone.
	Members []string `json:"members,omitempty"`
}

// QuickBIWorkspace is a workspace, matched by name; ID pins an existing
// one.
type QuickBIWorkspace struct {
	Src Source `json:"-"`

	Name string `json:"name"`
	ID   string `json:"id,omitempty"`
	// Members are authoritative when present.
	Members  []QuickBIMember  `json:"members,omitempty"`
	Datasets []QuickBIDataset `json:"datasets,omitempty"`
}

// QuickBIMember is one workspace member and its roles.
type QuickBIMember struct {
	Src Source `json:"-"`

	User string `json:"user"`
	// Roles: admin, developer, analyst, viewer or a custom role's name.
	Roles []string `json:"roles"`
}

// QuickBIDataset is a dataset (cube) of a workspace and its row and
// column permissions.
type QuickBIDataset struct {
	Src Source `json:"-"`

	// ID is the CubeId; Name is looked up in the workspace instead.
	ID          string            `json:"id,omitempty"`
	Name        string            `json:"name,omitempty"`
	RowLevel    *QuickBIDataLevel `json:"rowLevel,omitempty"`
	ColumnLevel *QuickBIDataLevel `json:"columnLevel,omitempty"`
}

// QuickBIDataLevel is the row or column permission setup of a dataset.
// Absent fields leave that part alone.
type QuickBIDataLevel struct {
	Src Source `json:"-"`

	Enabled *bool `json:"enabled,omitempty"`
	// MissHit is none (no data when no rule matches) or all.
	MissHit   string         `json:"missHit,omitempty"`
	Whitelist *QuickBIPeople `json:"whitelist,omitempty"`
	Rules     []QuickBIRule  `json:"rules,omitempty"`
}

// QuickBIPeople are users (account names) and groups (ids).
type QuickBIPeople struct {
	Users  []string `json:"users,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// QuickBIRule is one row or column rule, keyed by its name in the
// dataset and level.
type QuickBIRule struct {
	Src Source `json:"-"`

	Name   string   `json:"name"`
	Users  []string `json:"users,omitempty"`
	Groups []string `json:"groups,omitempty"`
	// All makes the rule apply to everyone (ruleTargetScope ALL).
	All bool `json:"all,omitempty"`
	// Content is the rule's content (ruleContentJson), an object written
	// as YAML, or a raw JSON string accepted as is.
	Content any `json:"content"`
}

// mergeQuickBI adds one Quick BI file to d.QuickBI: settings may be set
// in one file only (settingsAt is where they were first met); lists are
// concatenated in file order, a list present in any file staying present.
func mergeQuickBI(d *Desired, doc *QuickBIDocument, settingsAt **Source, ps *problems) {
	q := d.QuickBI
	if q == nil {
		q = &QuickBI{}
		d.QuickBI = q
	}
	if s := doc.Settings; s != nil {
		if *settingsAt != nil {
			ps.add(&Problem{File: s.Src.File, Line: s.Src.Line, Path: "settings",
				Msg: fmt.Sprintf("settings are given twice (first at %s:%d); keep them in one file", (*settingsAt).File, (*settingsAt).Line)})
		} else {
			q.Settings = *s
			*settingsAt = &s.Src
		}
	}
	q.Tags = appendKeep(q.Tags, doc.Tags)
	q.Users = appendKeep(q.Users, doc.Users)
	q.Groups = appendKeep(q.Groups, doc.Groups)
	q.Workspaces = appendKeep(q.Workspaces, doc.Workspaces)
	q.Embeds = appendKeep(q.Embeds, doc.Embeds)
}
