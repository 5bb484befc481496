// Package atomicfile writes a file whole or not at all: through a
// temporary file in the same directory, synced, then renamed over the
// file, so a reader (or a crash) never sees half of it.
package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
)

// WriteAll is Write, creating the directories path needs (0755) first.
func WriteAll(path string, data []byte, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return Write(path, data, perm)
}

// Write writes data to path with mode perm, in a directory that exists.
// On error the file is as it was and no temporary file is left.
func Write(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// The rename is durable once the directory is synced; not every file
	// system can sync a directory, and the file is written all the same.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
