package main

import "github.com/klev-dev/klevdb"

func init() {
	register("migrate", "klevdb.Migrate of a closed log to -to V1|V2: prints {ok} or {ok:false, error}", func(args []string) error {
		var lf logFlags
		fs := newFlags("migrate", &lf)
		to := fs.String("to", "V2", "the version every segment is rewritten in: V1 or V2")
		if err := parse(fs, &lf, args); err != nil {
			return err
		}
		version, err := parseVersion(*to)
		if err != nil {
			return err
		}
		return outcome(klevdb.Migrate(lf.dir, lf.options(), version))
	})
}
