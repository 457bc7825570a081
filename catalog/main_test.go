package catalog

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
)

// TestMain doubles as the writer process of TestFileStoreConcurrentWriters: with CATALOG_HELPER_DIR
// set, the test binary puts CATALOG_HELPER_N datasets into that catalog and exits.
func TestMain(m *testing.M) {
	if dir := os.Getenv("CATALOG_HELPER_DIR"); dir != "" {
		if err := helperWrites(dir, os.Getenv("CATALOG_HELPER_ID"), os.Getenv("CATALOG_HELPER_N")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func helperWrites(dir, id, count string) error {
	n, err := strconv.Atoi(count)
	if err != nil {
		return err
	}
	s, err := OpenFileStore(dir)
	if err != nil {
		return err
	}
	for i := range n {
		if err := s.Put(context.Background(), testDataset(fmt.Sprintf("p%s-%d", id, i), baseTime)); err != nil {
			return err
		}
	}
	return nil
}
