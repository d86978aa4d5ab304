package main

import (
	"context"
	"time"

	"github.com/klev-dev/klevdb"
)

func init() {
	register("compact", "open the log, CompactUpdatesMulti then CompactDeletesMulti before the given times (µs)", func(args []string) error {
		var lf logFlags
		fs := newFlags("compact", &lf)
		updates := fs.Int64("updates-before", 0, "remove updates not after this time (Unix µs); with -no-updates, skipped")
		deletes := fs.Int64("deletes-before", 0, "remove tombstones not after this time (Unix µs); with -no-deletes, skipped")
		noUpdates := fs.Bool("no-updates", false, "skip CompactUpdatesMulti")
		noDeletes := fs.Bool("no-deletes", false, "skip CompactDeletesMulti")
		if err := parse(fs, &lf, args); err != nil {
			return err
		}
		if *noUpdates {
			updates = nil
		}
		if *noDeletes {
			deletes = nil
		}
		return withLog(&lf, func(l klevdb.Log) error { return emit(compactOp(l, updates, deletes)) })
	})
}

// compactOp runs CompactUpdatesMultiOffsets before *updates, then
// CompactDeletesMultiOffsets before *deletes (Unix µs; nil skips that half).
func compactOp(l klevdb.Log, updates, deletes *int64) answer {
	deleted := map[int64]struct{}{}
	var size int64
	for _, half := range []struct {
		before *int64
		run    func(context.Context, klevdb.Log, time.Time, klevdb.DeleteMultiBackoff) (map[int64]struct{}, int64, error)
	}{{updates, klevdb.CompactUpdatesMultiOffsets}, {deletes, klevdb.CompactDeletesMultiOffsets}} {
		if half.before == nil {
			continue
		}
		offsets, n, err := half.run(ctx(), l, time.UnixMicro(*half.before), noBackoff)
		if err != nil {
			return refusal(err)
		}
		for o := range offsets {
			deleted[o] = struct{}{}
		}
		size += n
	}
	return deletedAnswer(deleted, size)
}
