// Package quickbitest is an in-memory Alibaba Cloud Quick BI OpenAPI
// server (product quickbi-public, version 2022-01-01) behind
// net/http/httptest, for tests, benchmarks, the examples and newcomers.
//
// It follows the reference (../shared/reference/quickbi-openapi.md and
// quickbi-create-ticket.txt) including the parts that make a reconciler's
// life hard: AddUser is no upsert, nicknames are unique in the
// organization, seats are counted per user type, the user-group tree is
// read one level per call and deleted bottom-up, group ids may be chosen
// by the caller, workspace roles are replaced by UpdateWorkspaceUserRole,
// tag values are read one user per call, rules and whitelists are
// addressed by ids, business errors are HTTP 400, batch calls succeed
// partially. Requests are authenticated with the simulator's own
// implementation of both signature methods of the reference, so a client
// tested against it is checked by code that shares nothing with it.
//
// # Use
//
//	seed, err := quickbitest.LoadSeed("testdata/example.yaml") // strict
//	sim := quickbitest.New(quickbitest.Options{Seed: seed})
//	defer sim.Close()
//	// endpoint sim.URL(), key sim.AccessKeyID() / sim.AccessKeySecret()
//	...
//	st := sim.Snapshot() // deep copy of everything, what HTTP cannot read included
//	st.Workspace("销售分析").Dataset("订单").Row.Rule("华北数据").Users
//
// Life cycle: New(Options) starts on a loopback address; NewUnstarted and
// NewFromOptions (returns the seed's error) build without listening, then
// Start, or serve Handler() yourself (it may be wrapped). URL, Client,
// Close. Credentials: AccessKeyID, AccessKeySecret, SecurityToken,
// AdminUserID (the member the key belongs to). Inspection: Snapshot,
// Calls (per Action), CallLog, TotalCalls, ResetCalls, FaultCounts.
// Faults: SetFaults, FailObject, ClearFaults. VisitTicket consumes one use
// of an embed ticket as opening the embedded page would. Actions lists
// the Actions served.
//
// Options: Seed; AccessKeyID (default DefaultAccessKeyID) and
// AccessKeySecret (default random); SecurityToken (an STS key: every
// request must carry it; without it a request carrying one is refused);
// Now, the server's clock (timestamps, expiry, throttling windows); Rand,
// the seed of fault draws; Throttle and RateLimit (per-action limit, off
// by default, 50/s when on); Seats and MaxTags, overriding the seed's
// quotas; Logf, one line per request without parameter values.
//
// # Transport
//
// Every Action is served on path "/" (another path answers 404
// InvalidApi.NotFound). Action and Version come from the x-acs-action and
// x-acs-version headers when the request carries an Authorization header
// (V3), from the query string otherwise (RPC). Only Version 2022-01-01
// exists; an unknown Action or Version (case-sensitive) answers 404
// InvalidApi.NotFound, an absent one 400 MissingAction / MissingVersion.
// QueryUserList, QueryUserTagMetaList and QueryUserTagValueList are GET,
// every other Action POST; the other method answers 400
// UnsupportedHTTPMethod.
//
// Business parameters travel in the query string, except AddUser's
// RoleIds, which travels in an application/x-www-form-urlencoded body, as
// the SDK sends them. A parameter in the other place, a parameter the
// Action does not have, a repeated parameter, or a body of another content
// type answers 400 Invalid.Parameter.Error. Values are strings: int
// (int32) and long in plain decimal ("01", "+1", "1.0" are refused), bool
// "true" or "false"; a wrong form answers 400 Invalid<Param>. A required
// parameter that is absent answers 400 Missing<Param> (the gateway); one
// that is present but empty answers 400 System.Param.Empty (Quick BI), as
// does an empty optional parameter, except Keyword and the descriptions,
// which may be sent empty. Lists are comma-separated, without empty items
// or spaces; repeats are dropped. JSON parameters (RuleModel,
// AddUserModel, DeleteUserModel, WhiteListModel, GlobalParam, UpdateUser's
// CopilotModules) are decoded strictly: an unknown key, a wrong type or
// trailing text answers Invalid.Parameter.Error. A body over 8 MiB
// answers HTTP 413.
//
// Authentication, in this order after the Action and the method: the
// signature method's own checks, the access key (404
// InvalidAccessKeyId.NotFound), the timestamp (400 InvalidTimeStamp.Format
// unless "yyyy-MM-ddTHH:mm:ssZ"; 400 InvalidTimeStamp.Expired more than 15
// minutes from the server's clock), the STS token, the signature (400
// SignatureDoesNotMatch, the message quoting the server's string to
// sign), the nonce (400 SignatureNonceUsed when seen before; nonces are
// remembered 30 minutes, longer than a timestamp stays valid).
//
// V3 (ACS3-HMAC-SHA256): the Authorization header is exactly
// "ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<names>,Signature=<hex>"
// (another algorithm: 400 InvalidSignatureMethod; anything else malformed,
// including spaces after the commas, unsorted or upper-case SignedHeaders
// and upper-case hex: 400 IncompleteSignature). host, x-acs-action,
// x-acs-version, x-acs-date, x-acs-signature-nonce and
// x-acs-content-sha256 are required, and host, content-type (when sent)
// and every x-acs-* header must be signed; a signed header that is absent
// or a repeated one is IncompleteSignature too. x-acs-content-sha256 must
// be the body's SHA-256 (else SignatureDoesNotMatch). RPC parameters
// (Signature, SignatureNonce, AccessKeyId) beside an Authorization header
// are IncompleteSignature.
//
// RPC (HMAC-SHA1): AccessKeyId, SignatureMethod, SignatureVersion,
// SignatureNonce, Timestamp and Signature are required in the query
// (Missing<Param>); SignatureMethod must be HMAC-SHA1 (400
// InvalidSignatureMethod), SignatureVersion 1.0 (400
// InvalidSignatureVersion); Format, when sent, JSON in any case (XML and
// others: 400 InvalidParameter.Format). The signature covers the query and
// the form body alike.
//
// # Answers
//
// Success is HTTP 200 {"RequestId", "Success": true, "Result"}; a batch
// call that saved nothing answers HTTP 200 with Success false and its
// Result. Errors are {"RequestId", "HostId", "Code", "Message",
// "Recommend"}: HTTP 400 for business errors, 404 for InvalidApi.NotFound
// and InvalidAccessKeyId.NotFound, 500/503 for injected faults. HostId is
// the Host the request was sent to; Recommend a troubleshooting URL
// naming the code and the RequestId. RequestIds are upper-case UUIDs,
// deterministic per server (the n-th request has the same id on every
// run); the x-acs-request-id header repeats it. JSON is written without
// HTML escaping.
//
// Paged reads answer {Data, PageNum, PageSize, TotalNum, TotalPages}:
// PageNum from 1 (default 1), PageSize 1 to 1000 (default 10); outside
// that 400 InvalidPageNum / InvalidPageSize. A page past the end is empty.
// ListCubeDataLevelPermissionConfig's and SetDataLevelPermissionRuleConfig's
// Result is a JSON string. AddWorkspaceUsers and UpdateWorkspaceUsersRole
// answer {Total, Success, Failure, FailureDetail {UserId: reason}}, each
// reason "<code>: <message>" (an existing member:
// "AE0150010001: This user already exists.").
//
// # Actions
//
// Members: AddUser, UpdateUser, DeleteUser, QueryUserList (GET),
// QueryUserInfoByAccount, QueryUserInfoByUserId, CheckOrganizationMember,
// ListOrganizationRoles, QueryOrganizationRoleConfig,
// ListOrganizationRoleUsers. Groups: CreateUserGroup, UpdateUserGroup,
// DeleteUserGroup, QueryUserGroupListByParentId, QueryUserGroupMember,
// AddUserGroupMember, AddUserGroupMembers, DeleteUserGroupMember,
// DeleteUserGroupMembers, ListUserGroupsByUserId, GetUserGroupInfo,
// ListByUserGroupId, WithdrawAllUserGroups. Workspaces:
// QueryOrganizationWorkspaceList, CreateWorkspace, QueryWorkspaceUserList,
// AddUserToWorkspace, AddWorkspaceUsers, UpdateWorkspaceUserRole,
// UpdateWorkspaceUsersRole, DeleteUserFromWorkspace, ListWorkspaceRoles,
// QueryWorkspaceRoleConfig, QueryUserRoleInfoInWorkspace,
// ListWorkspaceUserRolesByUserId, ListWorkspaceRoleUsers. Tags:
// AddUserTagMeta, UpdateUserTagMeta, DeleteUserTagMeta,
// QueryUserTagMetaList (GET), UpdateUserTagValue, QueryUserTagValueList
// (GET). Row and column permissions: SetDataLevelPermissionRuleConfig,
// DeleteDataLevelRuleConfig, AddDataLevelPermissionRuleUsers,
// DeleteDataLevelPermissionRuleUsers, ListCubeDataLevelPermissionConfig,
// SetDataLevelPermissionExtraConfig, SetDataLevelPermissionWhiteList,
// AddDataLevelPermissionWhiteList, ListDataLevelPermissionWhiteList,
// UpdateDataLevelPermissionStatus, QueryDatasetSwitchInfo,
// QueryDatasetList. Works and embedding: QueryWorksByWorkspace,
// QueryEmbeddedStatus, UpdateEmbeddedStatus, CreateTicket,
// DelayTicketExpireTime, DeleteTicket, QueryTicketInfo, UpdateTicketNum.
// Not served (404): sharing and portal menus (AddShareReport,
// QueryShareList, AuthorizeMenu, ...), CreateTicket4Copilot,
// QueryEmbeddedInfo, BatchAddFeishuUsers, ChangeVisibilityModel, and the
// names the reference says do not exist (QueryWorkspaceList,
// DeleteWorkspaceUsers, ...).
//
// # What HTTP shows
//
// Exactly the fields the reference documents for each Result, nothing
// more (a test walks every Action and refuses any other field). Email and
// Phone only from QueryUserInfoByAccount / QueryUserInfoByUserId; tag
// values only one user per QueryUserTagValueList; the group tree only one
// level per QueryUserGroupListByParentId; a group's direct members only;
// tickets only by their value (no list); a member's several workspace
// roles only from ListWorkspaceUserRolesByUserId. Never shown: the
// secret, the STS token, seat quotas, the tag cap, the row-permission
// model and GlobalParam settings, how a ticket was bound. Tests read
// those from Snapshot.
//
// # Snapshot
//
// Snapshot returns a State: Organization (id, name, admin UserId, Seats,
// MaxTags, NewRowPermissionModel, GlobalParam), custom OrgRoles and
// WorkspaceRoles (by id), Users (by AccountName: UserID, AccountID,
// AccountName, AccountType, NickName, Email, Phone, UserType, Roles,
// Inactive, JoinedDate, CopilotModules, Tags by tag name), Groups (by id:
// Parent RootGroupID for the top level, Members as sorted UserIds), Tags
// (by name), Workspaces (by name: Owner, Members with every role, Datasets
// with Row and Column Levels (Open, MissHitPolicy, WhiteUsers,
// WhiteGroups, Rules in creation order), Works), Tickets (by value: the
// bound UserID and BoundBy "UserId", "AccountName" or "Owner", uses,
// times). Every list is sorted by its key and freshly allocated, so two
// servers that saw the same seed and calls compare equal with
// reflect.DeepEqual (ids are deterministic; times follow Options.Now).
// Helpers: User(account), UserByID, Accounts(ids), Group(id), GroupByName,
// Tag(name), Workspace(name), Dataset(id), Workspace.Member,
// Workspace.Dataset, Dataset.Level, Level.Rule, Ticket(value).
//
// # Seed format
//
// YAML (or JSON), decoded strictly: an unknown key or a wrong type is an
// error naming the line; an inconsistent seed (an unknown reference, a
// repeated nickname, a full seat quota, a group cycle, a viewer with a
// custom workspace role, ...) is an error naming the line and the path,
// e.g. "line 12: users[3].nick: ...". A seed obeys the same rules as the
// API. testdata/example.yaml shows every key.
//
//	version: 1                         # accepted, ignored
//	organization:
//	  id: ...                          # OrganizationId; default generated
//	  name: 示例科技
//	  admin: {account: shiyan, accountId: "1914760000000001", nick: BI管理员}
//	                                   # the access key's member: developer, role admin;
//	                                   # default account qbadmin
//	  seats: {developers: 10, analysts: 20, viewers: 100}   # 0/absent: unlimited
//	  maxTags: 30                      # default 50
//	  newRowPermissionModel: true      # default true
//	  globalParam: false               # CreateTicket's GlobalParam allowed
//	orgRoles:       [{id: 900001, name: 数据管理员, authKeys: [quick_monitor]}]
//	workspaceRoles: [{id: 910001, name: 报表审核员, authKeys: [dashboard_create]}]
//	tags: [{name: region, description: 区域, id: optional}]
//	users:
//	  - account: "shiyan:zhangsan"     # AccountName; the key of references
//	    id: 32 hex                     # UserId; default generated
//	    accountId: "1914760000023754"  # digits
//	    accountType: 5                 # default 5 for primary:sub, 1 otherwise
//	    nick: 张三                      # unique; CJK, letters, digits, _ \ / | ( ) [ ]
//	    type: developer                # developer | viewer | analyst (required)
//	    roles: [permissionAdmin]       # admin | permissionAdmin | user | custom; default [user]; ≤3
//	    email: ..., phone: ...
//	    tags: {region: [华北, 东北], level: P7}   # a list is joined with commas
//	    inactive: false                # IsDeleted
//	    joined: "2024-01-01 08:00:00"  # and lastLogin; UTC+08:00
//	    copilotModules: [qreport]
//	groups:                            # parents in any order
//	  - {id: sales, name: 销售部, parent: hq, description: ..., members: ["shiyan:zhangsan"]}
//	workspaces:
//	  - id: ...                        # default generated
//	    name: 销售分析                  # unique
//	    owner: shiyan                  # default the admin; holds the admin role
//	    allowShare: true, allowPublish: true
//	    members: [{user: "shiyan:zhangsan", roles: [developer, 报表审核员]}]
//	                                   # admin | developer | analyst | viewer | custom
//	    datasets:
//	      - id: ..., name: 订单, owner: ...
//	        rowLevel:                  # and columnLevel
//	          enabled: true
//	          missHit: none            # none | all
//	          whitelist: {users: [...], groups: [group ids]}
//	          rules:
//	            - id: optional
//	              name: 华北数据         # unique per dataset and rule type
//	              scope: others        # all | others; default others with people, all without
//	              users: [...]
//	              groups: [...]
//	              content: {...}       # ruleContentJson: a mapping or JSON text (required)
//	              contentType: ROW_FIELD   # default ROW_FIELD / COLUMN_FORBID
//	              origin: {...}        # ruleOriginConfigJson, optional
//	              hitTakeEffect: 1
//	              open: true
//	    works:
//	      - id: ..., name: 销售看板, type: PAGE, owner: ..., embedded: true,
//	        status: 1, securityLevel: "0", public: false, components: [cmpt ids]
//
// Seeded objects were created at 2024-01-01 00:00:00 UTC unless a time is
// given.
//
// # Fault injection
//
//	sim.SetFaults("AddUser", quickbitest.Fault{
//	    Latency:       50 * time.Millisecond,
//	    Share5xx:      0.1,  // HTTP 503 with an HTML body (a load balancer)
//	    ShareInternal: 0.05, // HTTP 500 InternalError (the gateway's JSON)
//	    ShareThrottle: 0.05, // Throttling.User + x-ratelimit-user-api (ThrottleStatus 400 or 429)
//	    ShareTimeout:  0.05, // held until the client gives up; after Hold, HTTP 504
//	    ShareReset:    0.05, // connection closed without an answer
//	    FailNext:      2,    // the next 2 calls: HTTP 503
//	    Permanent:     false,// every call: HTTP 400 Internal.System.Error
//	    AfterApply:    false,// apply the write, then lose the answer (never for throttling)
//	})
//	sim.SetFaults("*", f)                        // every Action without faults of its own
//	sim.FailObject("AddUserGroupMember", userID) // calls holding the value: HTTP 400 Internal.System.Error
//	sim.ClearFaults()
//
// One draw per call from Options.Rand, so a sequence of calls fails the
// same way on every run. Faults are drawn for known Actions before
// authentication (a proxy in front of the gateway), so a faulted request
// does not spend its nonce; with AfterApply the request is authenticated,
// validated and applied first. FailObject matches a whole parameter, an
// item of a list parameter, or a string in a JSON parameter, after
// authentication and validation, and changes nothing. Faulted calls are
// counted in Calls and logged in CallLog (Signature and SecurityToken
// redacted; Status and Code of the answer).
//
// Throttling proper (Options.Throttle): a fixed one-second window per
// Action on the server's clock; the request after RateLimit in a window
// answers HTTP 400 Throttling.User ("Request was denied due to user flow
// control.") with x-ratelimit-user-api "Limit:50,Remain:0,TimeLeft:<ms to
// the window's end>,Reset:<ms epoch>". Refused requests count in the
// window.
//
// # Choices where the reference is silent
//
// Codes. Where the reference names no code the simulator answers HTTP 400
// Invalid.Parameter.Error "The parameter is invalid:<why>." (a client must
// not rely on these). Where it names one, that one: user not a member
// User.Not.In.Organization (Invalid.User for AddUserGroupMember,
// Invalid.User.Organization for tag values and CreateTicket's UserId),
// group Usergroup.Not.Exist, workspace Workspace.Not.Exist, cube
// Cube.Not.Exist, tag UserTag.NotIn.CurrentOrganization, work
// Report.NotExist.Error, ticket Authorize3rdTicket.NotExist, a workspace
// role id unknown User.RoleType.Valid. An STS token that is missing or
// wrong answers 400 InvalidSecurityToken.Mismatch (not in the reference's
// table). x-acs-content-sha256 that is not the body's hash answers
// SignatureDoesNotMatch. Throttling answers Throttling.User with HTTP
// 400. The RoleCodes of roles 26, 27 and 30 (role_workspace_developer,
// role_workspace_analyst, role_workspace_viewer) are invented; only
// role_workspace_admin is documented.
//
// Strictness. Unknown and misplaced parameters are refused rather than
// ignored; in V3 the RPC common parameters (Action, Version, Format, ...)
// in the query are unknown parameters. XML answers are not simulated.
// Empty optional parameters are refused except Keyword and descriptions.
//
// Members. AddUser needs AccountId or AccountName (System.Param.Empty
// AccountId). An account (AccountId or AccountName) that is already a
// member answers Invalid.Parameter.Error: AddUser is no upsert. A member
// added with AccountId only has an empty AccountName (the simulator knows
// no Alibaba Cloud directory). AccountNames are stored and shown without
// @domain parts; a name with ":" is a RAM user (AccountType 5),
// otherwise an Alibaba Cloud account (1). Inactive (IsDeleted) members
// keep their seat. RoleIds must not repeat a role. Without RoleIds the
// deprecated AdminUser/AuthAdminUser add or remove 111111111/111111112; a
// member left without roles becomes a regular user (111111113). The
// member the access key belongs to cannot be deleted, made inactive,
// changed from developer, or lose the admin role. Changing a member's
// UserType checks the new type's seats and the workspace roles it holds
// (below). QueryUserInfoByAccount matches a UID, the whole AccountName,
// or a RAM user's own name (the part after ":"); several matches without
// ParentAccountName are refused; a login with its @domain is not found
// (CreateTicket's AccountName neither). Keyword searches are substring
// and case-sensitive. Lists are in creation order. AccountId is absent
// from answers for a member without one, LastLoginTime for a member who
// never logged in.
//
// DeleteUser. TransferUserId must be another member who is not a viewer;
// in every workspace where the deleted member owns the workspace, a work
// or a dataset, the heir is added with the deleted member's roles (the
// admin role when it owned the workspace) or, when already a member, must
// hold a predefined role at least as high (admin > developer > analyst >
// viewer). Without TransferUserId, works and datasets go to each
// workspace's owner, and deleting a workspace's owner answers
// CanNot.Remove.WorkspaceOwner. The deleted member leaves every group and
// workspace; its UserId stays in rule people, whitelists and tickets,
// dangling (the reference does not say what happens; a reconciler must
// cope). Deleted groups stay in rules and whitelists the same way.
//
// Groups. Names are unique in the whole organization (not only among
// siblings). A caller-chosen UserGroupId is 1 to 64 of A-Z a-z 0-9 - _,
// not -1; a deleted id may be used again. Names and descriptions allow
// CJK, letters, digits and _ \ / | ( ) [ ] (no spaces). Reading an
// unknown parent, adding members to -1, or QueryUserGroupMember of -1
// answers Usergroup.Not.Exist. QueryUserGroupMember lists child groups
// (in creation order) then users (in the order they joined), direct ones
// only; Keyword matches group names, nicknames and account names. The
// member additions are all or nothing (one unknown user or group fails
// the call); adding a present member is no error. DeleteUserGroupMember(s)
// answer Result false when the user was in none of the groups. Deleting a
// group with users (and no child groups) is allowed.
//
// Workspaces. CreateWorkspace names are unique and ≤50 characters; the
// admin owns the new workspace. A member has one or more roles; the
// single Role QueryWorkspaceUserList shows is the most privileged
// predefined one, else the lowest custom id (QueryUserRoleInfoInWorkspace
// the same). AddUserToWorkspace of an existing member answers
// AE0150010001 "This user already exists.". Viewers (UserType 2) cannot
// hold custom roles (Viewer.CannotHave.CustomRole); analysts (3) cannot
// hold 25, 26 or a custom role with the cube, datasource or quick_etl
// permission (UserAnalyst.NotSupport.ThisRole). The owner keeps the admin
// role (changing it away is refused) and cannot be removed. The batch
// calls take ≤1000 users and predefined roles only; per-user failures
// (not a member of the organization or of the workspace, role not
// allowed, the owner) go to FailureDetail. UpdateWorkspaceUserRole of a
// non-member is refused; DeleteUserFromWorkspace of one answers false.
//
// Tags. The cap defaults to 50 definitions. A tag name is 1 to 50 of CJK,
// letters, digits and / \ | [ ] ( ) (Name.Length.Exceeded,
// Name.RegularExpression.Error); a description ≤255
// (NameExceeded.MaxLength.Error). Only the exact value "($NULL$)" clears
// a tag; "$NULL$" is stored as a value. Values are stored as written
// (comma-separated lists are not normalised). QueryUserTagValueList lists
// only the tags that have a value. Deleting a definition drops its values.
//
// Rules. Rule names are unique per dataset and rule type. RuleModel needs
// cubeId, ruleName, ruleLevelType, ruleTargetScope (ALL or OTHERS; the
// "1/2" form is refused) and ruleContentModel with ruleContentType
// ROW_FIELD for row rules and COLUMN_FORBID for column rules and
// ruleContentJson holding a JSON object; hitTakeEffect and isOpen are 0 or
// 1 (default 1); "rule" for ruleId is an unknown key. An update (ruleId)
// carries the whole model and replaces the people; a ruleId that is not a
// rule of that dataset and type is refused. ALL rules list no people, and
// people cannot be added to them. People must exist when added (Set, Add,
// whitelists); removals accept any id, so dangling ones can be cleaned.
// Add/DeleteDataLevelPermissionRuleUsers need a non-empty model;
// DeleteDataLevelPermissionRuleUsers answers false when nobody was
// removed. AddDataLevelPermissionWhiteList needs RuleType, OperateType,
// TargetType and TargetIds although the SDK marks them optional
// (System.Param.Empty). Without the new row-permission model every
// row/column action but QueryDatasetList is refused. QueryDatasetList's
// RowLevel is the row switch; its DataSource and Directory are
// placeholders.
//
// Works and tickets. QueryWorksByWorkspace's and
// ListOrganizationRoleUsers' PageSize (maximum not stated) is capped at
// 1000 like the others. Tickets are for PAGE, FULLPAGE, REPORT,
// dashboardOfflineQuery, ANALYSIS, DATAFORM and SCREEN works, never
// portals. UserId and AccountName together are refused; AccountType
// without AccountName too; AccountName must match a member of that
// AccountType (else ApiUser.Not.Exists). CmptId is for dashboards (PAGE,
// FULLPAGE) and must be a component the seed lists
// (Application.Object.NotExist). ExpireTime is 1 to 240 minutes.
// GlobalParam is a non-empty array of {paramKey, joinType and|or,
// conditionList [{operate, value}]}. DelayTicketExpireTime adds its
// minutes to the current expiry. UpdateTicketNum refuses fewer uses than
// already used, and expired tickets. An expired ticket can still be read
// with QueryTicketInfo. Ticket times are UTC+08:00 like the others.
//
// Ids. UserIds, generated UserGroupIds, TagIds, WorkspaceIds, CubeIds,
// RuleIds and tickets are derived from a counter per kind, so the same
// calls give the same ids on every run (fault draws do not change them).
package quickbitest
