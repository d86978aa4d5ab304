package main

import (
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
		return withLog(&lf, func(l klevdb.Log) error {
			deleted := map[int64]struct{}{}
			var size int64
			if !*noUpdates {
				offsets, n, err := klevdb.CompactUpdatesMultiOffsets(ctx(), l, time.UnixMicro(*updates), noBackoff)
				if err != nil {
					return emitRefusal(err)
				}
				addAll(deleted, offsets)
				size += n
			}
			if !*noDeletes {
				offsets, n, err := klevdb.CompactDeletesMultiOffsets(ctx(), l, time.UnixMicro(*deletes), noBackoff)
				if err != nil {
					return emitRefusal(err)
				}
				addAll(deleted, offsets)
				size += n
			}
			return emitDeleted(deleted, size)
		})
	})
}

func addAll(dst, src map[int64]struct{}) {
	for o := range src {
		dst[o] = struct{}{}
	}
}
