//go:build unix

package spec

import (
	"os"
	"syscall"
)

// openFile opens path for reading without blocking: opening a named pipe
// waits for a writer unless O_NONBLOCK is given. The caller checks that
// what it opened is a regular file before it reads.
func openFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
