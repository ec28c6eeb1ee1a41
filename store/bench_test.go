package store

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkInsertCommit measures the disk's commit rate: one single-row
// INSERT transaction per op, through the writer connection with its
// pragmas. Every Receive and every handled message costs at least one such
// commit, so this bounds their throughput.
func BenchmarkInsertCommit(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run(sync, func(b *testing.B) {
			db := openTest(b, Options{Path: filepath.Join(b.TempDir(), "bench.db"), Synchronous: sync})
			ctx := context.Background()
			if _, err := db.w.ExecContext(ctx, `CREATE TABLE bench (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				tx, err := db.w.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO bench(v) VALUES ('a row of about forty bytes of payload..')`); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
		})
	}
}
