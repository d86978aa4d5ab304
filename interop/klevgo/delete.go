package main

import (
	"sort"

	"github.com/klev-dev/klevdb"
)

func init() {
	register("delete", "open the log and Delete -offsets (comma-separated; -multi: DeleteMulti until done)", func(args []string) error {
		var lf logFlags
		fs := newFlags("delete", &lf)
		list := fs.String("offsets", "", "comma-separated offsets to delete")
		multi := fs.Bool("multi", false, "DeleteMulti (every segment) instead of one Delete (the lowest offset's segment)")
		if err := parse(fs, &lf, args); err != nil {
			return err
		}
		offsets, err := parseOffsets(*list)
		if err != nil {
			return err
		}
		return withLog(&lf, func(l klevdb.Log) error { return emit(deleteOp(l, offsets, *multi)) })
	})
}

// deleteOp is Log.Delete, or DeleteMulti with multi: the deleted offsets and
// size, or how the log refused.
func deleteOp(l klevdb.Log, offsets map[int64]struct{}, multi bool) answer {
	var deleted []klevdb.Message
	var size int64
	var err error
	if multi {
		deleted, size, err = klevdb.DeleteMulti(ctx(), l, offsets, noBackoff)
	} else {
		deleted, size, err = l.Delete(offsets)
	}
	if err != nil {
		return refusal(err)
	}
	return deletedAnswer(offsetsOf(deleted), size)
}

func offsetsOf(msgs []klevdb.Message) map[int64]struct{} {
	out := map[int64]struct{}{}
	for _, m := range msgs {
		out[m.Offset] = struct{}{}
	}
	return out
}

// deletedAnswer is {"deleted":[sorted offsets],"deletedSize":n}.
func deletedAnswer(offsets map[int64]struct{}, size int64) answer {
	list := make([]int64, 0, len(offsets))
	for o := range offsets {
		list = append(list, o)
	}
	sort.Slice(list, func(i, j int) bool { return list[i] < list[j] })
	return answer{"deleted": list, "deletedSize": size}
}
