package catalogtest_test

import (
	"testing"

	"github.com/frocket/frocket/catalog"
	"github.com/frocket/frocket/catalog/catalogtest"
)

// TestFileStore runs the acceptance suite against catalog.FileStore. It lives here rather than in
// package catalog because catalog's internal tests cannot import catalogtest (an import cycle).
func TestFileStore(t *testing.T) {
	catalogtest.TestStore(t, func(t *testing.T) catalog.Store {
		s, err := catalog.OpenFileStore(t.TempDir())
		if err != nil {
			t.Fatalf("OpenFileStore: %v", err)
		}
		return s
	}, catalogtest.Options{})
}
