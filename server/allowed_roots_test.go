package server

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckAllowedRoot(t *testing.T) {
	root := t.TempDir()
	inside := filepath.Join(root, "a", "b")
	outside := t.TempDir()
	if err := os.MkdirAll(inside, 0o755); err != nil {
		t.Fatal(err)
	}
	// A link inside the root that leads out of it.
	escape := filepath.Join(root, "escape")
	if err := os.Symlink(outside, escape); err != nil {
		t.Fatal(err)
	}
	f := func(dir string, roots []string, ok bool) {
		t.Helper()
		err := checkAllowedRoot(dir, roots)
		if (err == nil) != ok {
			t.Fatalf("checkAllowedRoot(%q, %q) = %v, want ok=%v", dir, roots, err, ok)
		}
	}
	f(outside, nil, true)
	f(root, []string{root}, true)
	f(inside, []string{root}, true)
	f(inside+"/../b", []string{root}, true)
	f(outside, []string{root}, false)
	f(root+"/../", []string{root}, false)
	f(escape, []string{root}, false)
	f(outside, []string{root, outside}, true)
	f(root+"x", []string{root}, false) // a sibling sharing the prefix
}

func TestHTTPRegisterOutsideAllowedRoots(t *testing.T) {
	data := testDataset(t)
	e := newHTTPEnv(t, httpOpts{engine: func(c *Config) { c.AllowedRoots = []string{t.TempDir()} }})
	body := fmt.Sprintf(`{"name":"events","basepath":%q,"groupIdColumn":"userId","timestampColumn":"timestamp"}`, data)
	resp := e.do(t, "POST", "/datasets/register", []byte(body)).want(t, 400).body
	var out struct {
		Success      bool
		ErrorMessage string
		Errors       []struct{ Kind, Path, Message string }
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		t.Fatal(err)
	}
	if out.Success || len(out.Errors) != 1 || out.Errors[0].Kind != "INVALID_ARGUMENTS" || out.Errors[0].Path != "basepath" ||
		!strings.Contains(out.Errors[0].Message, "outside the allowed roots") {
		t.Fatalf("answer: %s", resp)
	}
	// Nothing was registered.
	e.do(t, "GET", "/datasets/events/schema", nil).want(t, 404)
}
