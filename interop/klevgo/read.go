package main

import (
	"encoding/base64"
	"time"

	"github.com/klev-dev/klevdb"
)

func init() {
	register("read", "print every message as a JSON line, then a summary line (nextOffset, stat, lookups)", func(args []string) error {
		var lf logFlags
		fs := newFlags("read", &lf)
		codecs := addCodecFlags(fs)
		lookups := fs.Bool("lookups", false, "in the summary, GetByKey of every key and GetByTime of every message's time")
		lf.readonly = true
		if err := parse(fs, &lf, args); err != nil {
			return err
		}
		pair, err := codecs()
		if err != nil {
			return err
		}
		return withLog(&lf, func(l klevdb.Log) error {
			all, next, err := readAll(l)
			if err != nil {
				return err
			}
			for _, m := range all {
				if err := emit(toJSON(m, pair)); err != nil {
					return err
				}
			}
			summary, err := summaryOf(l, next)
			if err != nil {
				return err
			}
			summary["end"] = true
			if *lookups {
				byKey, byTime := lookupAll(l, &lf, all)
				if lf.keyIndex {
					summary["byKey"] = byKey
				}
				if lf.timeIndex {
					summary["byTime"] = byTime
				}
			}
			return emit(summary)
		})
	})
}

// readAll consumes the whole log from OffsetOldest; its messages and next offset.
func readAll(l klevdb.Log) ([]klevdb.Message, int64, error) {
	next, err := l.NextOffset()
	if err != nil {
		return nil, 0, err
	}
	var all []klevdb.Message
	for offset := klevdb.OffsetOldest; offset < next; {
		nextOffset, msgs, err := l.Consume(offset, 64)
		if err != nil {
			return nil, 0, err
		}
		all = append(all, msgs...)
		if nextOffset <= offset && offset >= 0 {
			break
		}
		offset = nextOffset
	}
	return all, next, nil
}

// summaryOf is {"nextOffset", "stats": {segments, messages, size}}.
func summaryOf(l klevdb.Log, next int64) (answer, error) {
	stats, err := l.Stat()
	if err != nil {
		return nil, err
	}
	return answer{
		"nextOffset": next,
		"stats":      answer{"segments": stats.Segments, "messages": stats.Messages, "size": stats.Size},
	}, nil
}

// lookupAll answers GetByKey for every key (base64 -> offset) and GetByTime
// at every stored time cut to the millisecond, as a JavaScript Date holds it
// ([stored µs, offset] pairs). A lookup that fails answers -1.
func lookupAll(l klevdb.Log, lf *logFlags, all []klevdb.Message) (map[string]int64, [][2]int64) {
	byKey := map[string]int64{}
	byTime := [][2]int64{}
	for _, m := range all {
		if lf.keyIndex {
			k := base64.StdEncoding.EncodeToString(m.Key)
			if _, done := byKey[k]; !done {
				byKey[k] = offsetOr(l.GetByKey(m.Key))
			}
		}
		if lf.timeIndex {
			micros := m.Time.UnixMicro()
			millis := micros / 1000
			if micros%1000 < 0 {
				millis-- // floor, as Math.floor(µs / 1000)
			}
			byTime = append(byTime, [2]int64{micros, offsetOr(l.GetByTime(time.UnixMilli(millis)))})
		}
	}
	return byKey, byTime
}

func offsetOr(m klevdb.Message, err error) int64 {
	if err != nil {
		return -1
	}
	return m.Offset
}
