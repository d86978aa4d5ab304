package main

import (
	"fmt"
	"time"

	"github.com/klev-dev/klevdb"
)

func init() {
	register("trim", "open the log and TrimBy<by>Multi: -by offset|count|age|size -value N (age: Unix µs)", func(args []string) error {
		var lf logFlags
		fs := newFlags("trim", &lf)
		by := fs.String("by", "", "offset, count, age or size")
		value := fs.Int64("value", 0, "the offset before which, the count to keep, the time (Unix µs) not after which, or the size to stay under")
		if err := parse(fs, &lf, args); err != nil {
			return err
		}
		return withLog(&lf, func(l klevdb.Log) error {
			a, err := trimOp(l, *by, *value)
			if err != nil {
				return err
			}
			return emit(a)
		})
	})
}

// trimOp is TrimBy<by>MultiOffsets; an unknown `by` is an error of the caller.
func trimOp(l klevdb.Log, by string, value int64) (answer, error) {
	var deleted map[int64]struct{}
	var size int64
	var err error
	switch by {
	case "offset":
		deleted, size, err = klevdb.TrimByOffsetMultiOffsets(ctx(), l, value, noBackoff)
	case "count":
		deleted, size, err = klevdb.TrimByCountMultiOffsets(ctx(), l, int(value), noBackoff)
	case "age":
		deleted, size, err = klevdb.TrimByAgeMultiOffsets(ctx(), l, time.UnixMicro(value), noBackoff)
	case "size":
		var msgs []klevdb.Message
		msgs, size, err = klevdb.TrimBySizeMultiOffsets(ctx(), l, value, noBackoff)
		deleted = offsetsOf(msgs)
	default:
		return nil, fmt.Errorf("trim: by must be offset, count, age or size, got %q", by)
	}
	if err != nil {
		return refusal(err), nil
	}
	return deletedAnswer(deleted, size), nil
}
