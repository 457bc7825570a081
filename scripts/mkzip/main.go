// Command mkzip writes a zip archive of files, each stored under its base name with mode 0755, as
// an AWS Lambda deployment package needs for its `bootstrap`:
//
//	go run ./scripts/mkzip dist/frocket-lambda.zip dist/bootstrap
//
// It exists so that building the package needs no zip tool.
package main

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "mkzip: %v\n", err)
		os.Exit(1)
	}
}

// run writes the archive args[0] holding the files args[1:]. The archive is written beside its final
// path and renamed into place, so a failed run leaves no partial archive.
func run(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: mkzip ARCHIVE.zip FILE...")
	}
	out := args[0]
	tmp, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create archive: %w", err)
	}
	defer os.Remove(tmp.Name())
	zw := zip.NewWriter(tmp)
	for _, path := range args[1:] {
		if err := add(zw, path); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := zw.Close(); err != nil {
		tmp.Close()
		return fmt.Errorf("write archive %s: %w", out, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write archive %s: %w", out, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write archive %s: %w", out, err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("write archive %s: %w", out, err)
	}
	return nil
}

// add stores one regular file under its base name, executable by everyone.
func add(zw *zip.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	hdr, err := zip.FileInfoHeader(st)
	if err != nil {
		return fmt.Errorf("zip header of %s: %w", path, err)
	}
	hdr.Name = filepath.Base(path)
	hdr.Method = zip.Deflate
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return fmt.Errorf("add %s: %w", path, err)
	}
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("add %s: %w", path, err)
	}
	return nil
}
