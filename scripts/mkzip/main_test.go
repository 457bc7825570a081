package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestRunWritesExecutableEntries(t *testing.T) {
	dir := t.TempDir()
	content := bytes.Repeat([]byte("frocket bootstrap\x00\x01"), 1000)
	src := filepath.Join(dir, "bootstrap")
	if err := os.WriteFile(src, content, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "fn.zip")
	if err := run([]string{out, src}); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 {
		t.Fatalf("want 1 entry, got %d", len(zr.File))
	}
	f := zr.File[0]
	if f.Name != "bootstrap" {
		t.Fatalf("entry name %q, want bootstrap", f.Name)
	}
	if got := f.Mode(); got != 0o755 {
		t.Fatalf("entry mode %v, want -rwxr-xr-x", got)
	}
	if f.CreatorVersion>>8 != 3 {
		t.Fatalf("creator OS %d, want 3 (unix), or Lambda ignores the mode", f.CreatorVersion>>8)
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, content) {
		t.Fatal("entry content differs from the file")
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "fn.zip")
	for _, args := range [][]string{{out}, {out, filepath.Join(dir, "missing")}, {out, dir}} {
		if err := run(args); err == nil {
			t.Fatalf("run(%q): want an error", args)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("run(%q) left an archive behind: %v", args, err)
		}
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "*.tmp-*")); len(matches) != 0 {
		t.Fatalf("temporary files left: %v", matches)
	}
}
