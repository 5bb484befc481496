//go:build !unix

package spec

import "os"

// openFile opens path for reading. The caller checks that what it opened
// is a regular file before it reads.
func openFile(path string) (*os.File, error) {
	return os.Open(path)
}
