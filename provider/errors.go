package provider

import (
	"context"
	"errors"
)

// Class is what an error means for what comes next. A provider marks its
// errors where they are made (its client knows the server's codes and
// messages); nothing outside a provider reads a server's message text.
type Class int

// Classes of errors.
const (
	// Terminal: trying again does not help (a refusal, an answer that
	// cannot be read, an expired credential).
	Terminal Class = iota
	// Retryable: it may pass (a 5xx, a rate limit, a timeout, a broken
	// connection, the server's own internal error).
	Retryable
	// NotFound: the object the call names is not on the server.
	NotFound
	// AlreadyExists: the name the call gives is taken.
	AlreadyExists
)

func (c Class) String() string {
	switch c {
	case Retryable:
		return "retryable"
	case NotFound:
		return "not found"
	case AlreadyExists:
		return "already exists"
	}
	return "terminal"
}

// Classifier is implemented by errors that know their class.
type Classifier interface {
	ErrorClass() Class
}

// ClassOf is the class of err: that of the first error in its chain that
// knows its class; Terminal for nil, a cancelled context or any other
// error.
func ClassOf(err error) Class {
	if err == nil || errors.Is(err, context.Canceled) {
		return Terminal
	}
	var c Classifier
	if errors.As(err, &c) {
		return c.ErrorClass()
	}
	return Terminal
}

// IsNotFound reports whether err says the object is not on the server.
func IsNotFound(err error) bool { return ClassOf(err) == NotFound }

// IsAlreadyExists reports whether err says the name is taken.
func IsAlreadyExists(err error) bool { return ClassOf(err) == AlreadyExists }

// MayPass reports whether trying again after a fresh read may help.
func MayPass(err error) bool { return ClassOf(err) == Retryable }
