package objstore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newLocalBucket(t *testing.T, files map[string][]byte) Bucket {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return NewLocal(dir)
}

func TestLocalAcceptance(t *testing.T) {
	testBucket(t, newLocalBucket)
}

func TestLocalSkipsNonFiles(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "a.parquet"), "aaa")
	mustWrite(t, filepath.Join(dir, "target.bin"), "12345")
	if err := os.Mkdir(filepath.Join(dir, "dir.parquet"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "dir.parquet", "nested.parquet"), "n")
	if err := os.Symlink(filepath.Join(dir, "target.bin"), filepath.Join(dir, "link.parquet")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "dangling.parquet")); err != nil {
		t.Fatal(err)
	}
	objs, err := NewLocal(dir).List(context.Background(), "*.parquet")
	if err != nil {
		t.Fatal(err)
	}
	want := []Object{{"a.parquet", 3}, {"link.parquet", 5}}
	if len(objs) != len(want) || objs[0] != want[0] || objs[1] != want[1] {
		t.Fatalf("List = %v, want %v", objs, want)
	}
	// "*" matches '/', but a local bucket only lists direct entries.
	objs, err = NewLocal(dir).List(context.Background(), "*nested*")
	if err != nil || len(objs) != 0 {
		t.Fatalf("List(*nested*) = %v, %v; want nothing", objs, err)
	}
}

func TestLocalMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nope")
	_, err := NewLocal(dir).List(context.Background(), "*")
	if err == nil || !IsNotFound(err) {
		t.Fatalf("List(missing dir) = %v, want not found", err)
	}
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("error %q should name %s and say it does not exist", err, dir)
	}
	_, _, err = NewLocal(dir).Open(context.Background(), "a.parquet")
	if err == nil || !IsNotFound(err) || !strings.Contains(err.Error(), dir) {
		t.Errorf("Open in a missing dir = %v, want not found naming the path", err)
	}
}

func TestLocalFileNotDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file.parquet")
	mustWrite(t, file, "x")
	_, err := NewLocal(file).List(context.Background(), "*")
	if err == nil || IsNotFound(err) || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("List(file) = %v, want 'not a directory' naming %s", err, file)
	}
	_, err = NewLocal(filepath.Join(file, "sub")).List(context.Background(), "*")
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("List(file/sub) = %v, want 'not a directory'", err)
	}
}

func TestLocalPermissionDenied(t *testing.T) {
	// Exercise the mapping directly: as root, chmod does not deny anything.
	err := localError("list", "/data/x", "directory", &fs.PathError{Op: "open", Path: "/data/x", Err: fs.ErrPermission})
	if !errors.Is(err, fs.ErrPermission) || IsNotFound(err) || err.Error() != "list /data/x: permission denied" {
		t.Fatalf("localError(permission) = %q", err)
	}
	if os.Geteuid() == 0 {
		return
	}
	dir := filepath.Join(t.TempDir(), "locked")
	if err := os.Mkdir(dir, 0o000); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	_, err = NewLocal(dir).List(context.Background(), "*")
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("List(locked) = %v, want permission denied naming %s", err, dir)
	}
}

func TestLocalOpenRejects(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := NewLocal(filepath.Join(dir, "sub"))
	mustWrite(t, filepath.Join(dir, "secret"), "s")
	for _, name := range []string{"", "../secret", "/etc/passwd", "a/../../secret"} {
		if p := b.LocalPath(name); p != "" {
			t.Errorf("LocalPath(%q) = %q, want \"\"", name, p)
		}
		if _, _, err := b.Open(context.Background(), name); err == nil {
			t.Errorf("Open(%q) succeeded, want an error", name)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub", "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Open(context.Background(), "d"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Open(dir) = %v, want 'not a regular file'", err)
	}
	if got, want := b.LocalPath("x.parquet"), filepath.Join(dir, "sub", "x.parquet"); got != want {
		t.Errorf("LocalPath = %q, want %q", got, want)
	}
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
