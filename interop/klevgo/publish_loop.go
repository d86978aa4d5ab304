package main

import (
	"fmt"

	"github.com/klev-dev/klevdb"
)

// loopMessage is message i of publish-loop: the reader in the tests rebuilds
// it from its offset (key "key-<i%7>", value "value-<i>", time base+i µs).
func loopMessage(i int64) klevdb.Message {
	return klevdb.Message{
		Key:   fmt.Appendf(nil, "key-%d", i%7),
		Value: fmt.Appendf(nil, "value-%d", i),
		Time:  timeMicros(1_700_000_000_000_000 + i),
	}
}

func init() {
	register("publish-loop", "publish batches without pause until -count messages or stdin closes; prints ready, then nextOffset", func(args []string) error {
		var lf logFlags
		fs := newFlags("publish-loop", &lf)
		count := fs.Int64("count", 0, "stop after this many messages (0: until stdin closes)")
		batch := fs.Int("batch", 1, "messages per Publish")
		if err := parse(fs, &lf, args); err != nil {
			return err
		}
		if *batch < 1 {
			return fmt.Errorf("publish-loop: -batch must be at least 1")
		}
		return withLog(&lf, func(l klevdb.Log) error {
			next, err := l.NextOffset()
			if err != nil {
				return err
			}
			if err := emit(map[string]any{"ready": true, "nextOffset": next}); err != nil {
				return err
			}
			stop := stopRequested()
			for *count == 0 || next < *count {
				select {
				case <-stop:
					return emit(map[string]any{"nextOffset": next})
				default:
				}
				n := int64(*batch)
				if *count > 0 && next+n > *count {
					n = *count - next
				}
				msgs := make([]klevdb.Message, n)
				for i := range msgs {
					msgs[i] = loopMessage(next + int64(i))
				}
				if next, err = l.Publish(msgs); err != nil {
					return err
				}
			}
			return emit(map[string]any{"nextOffset": next})
		})
	})
}
