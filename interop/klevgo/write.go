package main

import (
	"os"

	"github.com/klev-dev/klevdb"
)

func init() {
	register("write", "open the log, publish each JSON-lines batch of stdin (one array per Publish), close", func(args []string) error {
		var lf logFlags
		fs := newFlags("write", &lf)
		codecs := addCodecFlags(fs)
		if err := parse(fs, &lf, args); err != nil {
			return err
		}
		pair, err := codecs()
		if err != nil {
			return err
		}
		return withLog(&lf, func(l klevdb.Log) error {
			if err := readBatches(os.Stdin, pair, func(msgs []klevdb.Message) error {
				_, err := l.Publish(msgs)
				return err
			}); err != nil {
				return err
			}
			next, err := l.NextOffset()
			if err != nil {
				return err
			}
			return emit(map[string]any{"nextOffset": next})
		})
	})
}
