package main

import "github.com/klev-dev/klevdb"

func init() {
	register("check", "klevdb.Check of a closed log: prints {ok} or {ok:false, error}", func(args []string) error {
		var lf logFlags
		fs := newFlags("check", &lf)
		if err := parse(fs, &lf, args); err != nil {
			return err
		}
		return outcome(klevdb.Check(lf.dir, lf.options()))
	})
}
