package quickbitest

import (
	"fmt"
	"net/http"
)

// Error codes the simulator answers with. Gateway codes are Alibaba
// Cloud's common ones; the others are Quick BI's, as the reference lists
// them per action.
const (
	// Gateway.
	CodeInvalidAPI             = "InvalidApi.NotFound"
	CodeInvalidFormat          = "InvalidParameter.Format"
	CodeAccessKeyNotFound      = "InvalidAccessKeyId.NotFound"
	CodeSignatureDoesNotMatch  = "SignatureDoesNotMatch"
	CodeIncompleteSignature    = "IncompleteSignature"
	CodeInvalidSignatureMethod = "InvalidSignatureMethod"
	CodeTimestampFormat        = "InvalidTimeStamp.Format"
	CodeTimestampExpired       = "InvalidTimeStamp.Expired"
	CodeNonceUsed              = "SignatureNonceUsed"
	CodeUnsupportedMethod      = "UnsupportedHTTPMethod"
	CodeThrottlingUser         = "Throttling.User"
	CodeInternalError          = "InternalError"
	CodeServiceUnavailable     = "ServiceUnavailable"
	// CodeSecurityTokenMismatch is not in the reference's table: the
	// simulator answers it when a request's STS token is missing or not
	// the one it was given (Options.SecurityToken).
	CodeSecurityTokenMismatch = "InvalidSecurityToken.Mismatch"

	// Quick BI, common to most actions.
	CodeInternalSystem    = "Internal.System.Error"
	CodeInvalidParamError = "Invalid.Parameter.Error"
	CodeParamEmpty        = "System.Param.Empty"
	CodeLengthExceed      = "Parameter.Length.Exceed"
	CodeUserNotInOrg      = "User.Not.In.Organization"
	CodeInvalidUserOrg    = "Invalid.User.Organization"
	CodeObjectNotExist    = "Application.Object.NotExist"

	// Organization members.
	CodeNickNameTaken      = "NickName.AlreadyIn.Organization"
	CodeDevelopersFull     = "Organization.Developers.ReachedTheUpperLimit"
	CodeViewersFull        = "Organization.Viewers.ReachedTheUpperLimit"
	CodeAnalystsFull       = "Organization.Analysts.ReachedTheUpperLimit"
	CodeInvalidUser        = "Invalid.User"
	CodeApiUserNotExists   = "ApiUser.Not.Exists"
	CodeDuplicateGroupName = "Duplicate.Name.Error"
	CodeGroupParentMissing = "UserGroup.Parent.NotFound"
	CodeDuplicateGroupID   = "Duplicate.UserGroup.Id"
	CodeGroupNotExist      = "Usergroup.Not.Exist"
	CodeGroupRemoveRoot    = "UserGroup.Remove.RootNode"
	CodeGroupHasChildren   = "UserGroup.Remove.WithChildren"

	// Workspaces.
	CodeWorkspaceNotExist   = "Workspace.Not.Exist"
	CodeRoleTypeValid       = "User.RoleType.Valid"
	CodeViewerCustomRole    = "Viewer.CannotHave.CustomRole"
	CodeAnalystRole         = "UserAnalyst.NotSupport.ThisRole"
	CodeRemoveOwner         = "CanNot.Remove.WorkspaceOwner"
	CodeWorkspaceUserExists = "AE0150010001"

	// Tags.
	CodeTagNameRepeat  = "TagName.Repeat"
	CodeNameLength     = "Name.Length.Exceeded"
	CodeNameRegexp     = "Name.RegularExpression.Error"
	CodeNameMaxLength  = "NameExceeded.MaxLength.Error"
	CodeTagLimit       = "UserTag.Exceed.Limit"
	CodeTagNotInOrg    = "UserTag.NotIn.CurrentOrganization"
	CodeCubeNotExist   = "Cube.Not.Exist"
	CodeReportNotExist = "Report.NotExist.Error"

	// Embed tickets.
	CodeEmbedOff            = "Authorize3Rd.Report.Unauthorized"
	CodeTicketNumExceed     = "Authorize3rdTicket.Num.Exceed"
	CodeScreenWatermark     = "Authorize3rdTicket.Unsupport.ScreenWatermark"
	CodeGlobalParamRestrict = "GlobalParam.Restricted.Use"
	CodeTicketExpired       = "Authorize3rdTicket.Expired"
	CodeTicketNotExist      = "Authorize3rdTicket.NotExist"
	CodeTicketNoneLeft      = "Authorize3rdTicket.Num.HasNoLeft"
	CodeTicketWorksMismatch = "Authorize3rdTicket.BindedWorks.Mismatch"
)

// AlreadyExistsReason is the FailureDetail reason of a batch workspace
// call for a user who is already a member.
const AlreadyExistsReason = "AE0150010001: This user already exists."

// apiError is an answer other than success: HTTP status, code, message.
type apiError struct {
	status int
	code   string
	msg    string
	// rateLimit is the x-ratelimit-user-api header of a throttled answer.
	rateLimit string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d %s: %s", e.status, e.code, e.msg) }

// Error is an error answer as a test sees it (VisitTicket).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func bizErr(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, msg: fmt.Sprintf(format, args...)}
}

// invalid is Invalid.Parameter.Error, the code the simulator answers where
// the reference names none ("The parameter is invalid:%s.").
func invalid(format string, args ...any) *apiError {
	return bizErr(CodeInvalidParamError, "The parameter is invalid:%s.", fmt.Sprintf(format, args...))
}

func paramEmpty(name string) *apiError {
	return bizErr(CodeParamEmpty, "You must specify the %s parameter.", name)
}

func tooLong(name string) *apiError {
	return bizErr(CodeLengthExceed, "Parameter length exceeds maximum limit: [%s].", name)
}

func missing(name string) *apiError {
	return bizErr("Missing"+name, "%s is mandatory for this action.", name)
}

func invalidType(name string) *apiError {
	return bizErr("Invalid"+name, "Specified parameter %s is not valid.", name)
}

func userNotInOrg(id string) *apiError {
	return bizErr(CodeUserNotInOrg, "The user %s is not in the organization.", id)
}

func groupNotExist(id string) *apiError {
	return bizErr(CodeGroupNotExist, "The user group %s does not exist.", id)
}

func workspaceNotExist(id string) *apiError {
	return bizErr(CodeWorkspaceNotExist, "The workspace %s does not exist.", id)
}

func cubeNotExist() *apiError { return bizErr(CodeCubeNotExist, "The Cube does not exist.") }

func gatewayErr(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}
