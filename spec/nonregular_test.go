//go:build unix

package spec

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNonRegularFiles: a *.yaml that is, or is a symlink to, a named pipe,
// a device or a socket is refused with an error naming it, without
// blocking; a regular file and a directory through a symlink are read.
func TestNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// Should Load block on the pipe, a writer lets it go at the end.
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	link := func(name, target string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sock := filepath.Join(dir, "sock.yaml")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("version: 1\nusers: [{uniqueId: a}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{fifo, "is a named pipe"},
		{link("to-pipe.yaml", fifo), "(a symlink to " + fifo + ") is a named pipe"},
		{link("stdin.yaml", "/dev/stdin"), "(a symlink to /dev/stdin) is "},
		{link("null.yaml", "/dev/null"), "is a character device"},
		{sock, "is a socket"},
	} {
		done := make(chan error, 1)
		go func() {
			_, err := LoadFiles([]string{good, tc.path})
			done <- err
		}()
		select {
		case err := <-done:
			p := onlyProblem(t, err)
			if p.File != tc.path || !strings.Contains(p.Msg, tc.want) || !strings.Contains(p.Msg, "not a regular file") {
				t.Errorf("%s: %v", tc.path, p)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the loader is still blocked after 20 s", tc.path)
		}
	}
	// Found in a directory, a named pipe is refused too, not skipped.
	done := make(chan error, 1)
	go func() { _, err := Load([]string{dir}); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), fifo+": cannot read") {
			t.Errorf("directory holding a pipe: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the loader is still blocked on the directory after 20 s")
	}
	// A directory reached through a symlink is read, as git-sync needs.
	sub := filepath.Join(dir, "worktree")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(good, filepath.Join(sub, "good.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := Load([]string{link("current", sub)}); err != nil {
		t.Errorf("directory through a symlink: %v", err)
	}
}
