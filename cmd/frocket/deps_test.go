package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestBinaryDoesNotLinkTesting checks that the frocket binary (and the Lambda bootstrap, built with
// lambda.norpc) does not link package testing or its subpackages: they register test flags and
// grow the binary. The benchmark harness reaches the server helpers under internal/, which therefore
// take a testproc.TB instead of a testing.TB.
func TestBinaryDoesNotLinkTesting(t *testing.T) {
	for _, tags := range []string{"", "lambda.norpc"} {
		cmd := exec.Command("go", "list", "-deps", "-tags", tags, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.Output()
		if err != nil {
			stderr := ""
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("go list -deps -tags %q: %v\n%s", tags, err, stderr)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list -deps -tags %q listed only %v", tags, deps)
		}
		for _, p := range deps {
			if p == "testing" || strings.HasPrefix(p, "testing/") {
				t.Errorf("tags %q: the frocket binary links %s; find the importer with `go list -deps -f '{{.ImportPath}}: {{.Imports}}' ./cmd/frocket | grep testing`", tags, p)
			}
		}
	}
}
