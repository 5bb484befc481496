package apiclient

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/permsync/permsync/internal/secretenv"
)

// Credentials is an Alibaba Cloud AccessKey pair, and an STS security
// token when the pair is temporary. Printing a Credentials never shows the
// secret or the token, and shows the AccessKeyId only redacted.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	// SecurityToken is set with STS credentials (temporary AccessKeys).
	SecurityToken string
}

// ErrNoCredentials: no AccessKey was given.
var ErrNoCredentials = errors.New("no credentials: set PERMSYNC_ACCESS_KEY_ID and PERMSYNC_ACCESS_KEY_SECRET (or their _FILE variants)")

// Environment variables read by CredentialsFromEnv. Each may also be read
// from a file named by the variable with a _FILE suffix.
const (
	EnvAccessKeyID     = "PERMSYNC_ACCESS_KEY_ID"
	EnvAccessKeySecret = "PERMSYNC_ACCESS_KEY_SECRET"
	EnvSecurityToken   = "PERMSYNC_SECURITY_TOKEN"
)

// Validate reports missing, incomplete or malformed credentials. Errors
// name the variable, never a value.
func (c Credentials) Validate() error {
	switch {
	case c.AccessKeyID == "" && c.AccessKeySecret == "" && c.SecurityToken == "":
		return ErrNoCredentials
	case c.AccessKeyID == "":
		return fmt.Errorf("credentials: an AccessKey secret without an id (set %s)", EnvAccessKeyID)
	case c.AccessKeySecret == "":
		return fmt.Errorf("credentials: an AccessKey id without a secret (set %s or %s_FILE)", EnvAccessKeySecret, EnvAccessKeySecret)
	}
	// The id goes into the Authorization header (Credential=<id>,...) and
	// the token into a header: neither may hold a separator or a control
	// character.
	if strings.IndexFunc(c.AccessKeyID, func(r rune) bool { return r <= ' ' || r == ',' || r == ';' || r > unicode.MaxASCII }) >= 0 {
		return fmt.Errorf("credentials: %s holds a space, comma, semicolon or non-ASCII character", EnvAccessKeyID)
	}
	if strings.IndexFunc(c.SecurityToken, func(r rune) bool { return r < ' ' || r == 0x7f }) >= 0 {
		return fmt.Errorf("credentials: %s holds a control character", EnvSecurityToken)
	}
	return nil
}

// STS reports whether the credentials are temporary (hold a security token).
func (c Credentials) STS() bool { return c.SecurityToken != "" }

// RedactedID is the AccessKeyId as it may be shown: its first and last
// four characters, or only stars when it is short.
func (c Credentials) RedactedID() string { return redactID(c.AccessKeyID) }

func redactID(id string) string {
	if len(id) < 16 {
		return "****"
	}
	return id[:4] + "****" + id[len(id)-4:]
}

func (c Credentials) String() string {
	if c == (Credentials{}) {
		return "Credentials{}"
	}
	s := fmt.Sprintf("Credentials{AccessKeyID: %s, AccessKeySecret: REDACTED", c.RedactedID())
	if c.AccessKeySecret == "" {
		s = fmt.Sprintf("Credentials{AccessKeyID: %s, AccessKeySecret: (none)", c.RedactedID())
	}
	if c.SecurityToken != "" {
		s += ", SecurityToken: REDACTED"
	}
	return s + "}"
}

// GoString redacts like String, for %#v.
func (c Credentials) GoString() string { return "apiclient." + c.String() }

// Format redacts for every verb (%v, %+v, %#v, %s, %q ...).
func (c Credentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	fmt.Fprint(f, c.String())
}

// MarshalJSON redacts, so a Credentials logged as JSON shows no secret.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("%q", c.String())), nil
}

// CredentialsFromEnv reads PERMSYNC_ACCESS_KEY_ID and
// PERMSYNC_ACCESS_KEY_SECRET, and PERMSYNC_SECURITY_TOKEN for STS
// credentials. Each may instead name a file in its _FILE variant
// (surrounding white space is trimmed). Setting both a variable and its
// _FILE variant is an error; errors name the variables and files, never
// their contents.
func CredentialsFromEnv(getenv func(string) string) (Credentials, error) {
	var c Credentials
	var err error
	if c.AccessKeyID, err = secretFromEnv(getenv, EnvAccessKeyID); err != nil {
		return Credentials{}, err
	}
	if c.AccessKeySecret, err = secretFromEnv(getenv, EnvAccessKeySecret); err != nil {
		return Credentials{}, err
	}
	if c.SecurityToken, err = secretFromEnv(getenv, EnvSecurityToken); err != nil {
		return Credentials{}, err
	}
	if err := c.Validate(); err != nil {
		return Credentials{}, err
	}
	return c, nil
}

// secretFromEnv reads name or the file named by name_FILE. Errors name the
// variable and the file, never the contents.
func secretFromEnv(getenv func(string) string, name string) (string, error) {
	v, err := secretenv.Read(getenv, name)
	if err != nil {
		return "", fmt.Errorf("credentials: %w", err)
	}
	return v, nil
}
