package apiclient

import (
	"fmt"
	"strings"

	"github.com/permsync/permsync/internal/secretenv"
)

// Credentials is how the client authenticates, in this order of
// precedence: a ready Token (cannot be renewed), a TokenKey exchanged
// through util/genToken, or Email and Password exchanged through
// util/genToken. Printing a Credentials never shows a secret.
type Credentials struct {
	Token    string
	TokenKey string
	Email    string
	Password string
}

// Kind names the kind of credentials: "token", "tokenKey", "userPassword"
// or "none".
func (c Credentials) Kind() string {
	switch {
	case c.Token != "":
		return "token"
	case c.TokenKey != "":
		return "tokenKey"
	case c.Email != "" || c.Password != "":
		return "userPassword"
	}
	return "none"
}

// Validate reports missing or incomplete credentials.
func (c Credentials) Validate() error {
	switch c.Kind() {
	case "none":
		return ErrNoCredentials
	case "userPassword":
		if c.Email == "" {
			return fmt.Errorf("credentials: a password without an email (set PERMSYNC_EMAIL)")
		}
		if c.Password == "" {
			return fmt.Errorf("credentials: an email without a password (set PERMSYNC_PASSWORD or PERMSYNC_PASSWORD_FILE)")
		}
	}
	return nil
}

// renewable reports whether a token can be (re)generated from these
// credentials.
func (c Credentials) renewable() bool {
	k := c.Kind()
	return k == "tokenKey" || k == "userPassword"
}

func (c Credentials) String() string {
	switch c.Kind() {
	case "token":
		return "Credentials{Token: REDACTED}"
	case "tokenKey":
		return "Credentials{TokenKey: REDACTED}"
	case "userPassword":
		return fmt.Sprintf("Credentials{Email: %q, Password: REDACTED}", c.Email)
	}
	return "Credentials{}"
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

// Environment variables read by CredentialsFromEnv. Each secret may also
// be read from a file named by the variable with a _FILE suffix.
const (
	EnvServer   = "PERMSYNC_SERVER"
	EnvToken    = "PERMSYNC_TOKEN"
	EnvTokenKey = "PERMSYNC_TOKEN_KEY"
	EnvEmail    = "PERMSYNC_EMAIL"
	EnvPassword = "PERMSYNC_PASSWORD"
)

// CredentialsFromEnv reads PERMSYNC_TOKEN, or PERMSYNC_TOKEN_KEY, or
// PERMSYNC_EMAIL and PERMSYNC_PASSWORD. PERMSYNC_TOKEN_FILE,
// PERMSYNC_TOKEN_KEY_FILE and PERMSYNC_PASSWORD_FILE name a file holding the
// secret instead (surrounding white space is trimmed). Setting both a
// variable and its _FILE variant is an error. The first kind present wins.
func CredentialsFromEnv(getenv func(string) string) (Credentials, error) {
	var c Credentials
	var err error
	if c.Token, err = secretFromEnv(getenv, EnvToken); err != nil {
		return Credentials{}, err
	}
	if c.TokenKey, err = secretFromEnv(getenv, EnvTokenKey); err != nil {
		return Credentials{}, err
	}
	if c.Password, err = secretFromEnv(getenv, EnvPassword); err != nil {
		return Credentials{}, err
	}
	c.Email = strings.TrimSpace(getenv(EnvEmail))
	switch c.Kind() {
	case "token":
		c.TokenKey, c.Email, c.Password = "", "", ""
	case "tokenKey":
		c.Email, c.Password = "", ""
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
