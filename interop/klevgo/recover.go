package main

import "github.com/klev-dev/klevdb"

func init() {
	register("recover", "klevdb.Recover of a closed log: prints {ok} or {ok:false, error}", func(args []string) error {
		var lf logFlags
		fs := newFlags("recover", &lf)
		if err := parse(fs, &lf, args); err != nil {
			return err
		}
		return outcome(klevdb.Recover(lf.dir, lf.options()))
	})
}
