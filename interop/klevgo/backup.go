package main

import "github.com/klev-dev/klevdb"

func init() {
	register("backup", "klevdb.Backup of -dir into -to (of a closed log, or through an open one with -open)", func(args []string) error {
		var lf logFlags
		fs := newFlags("backup", &lf)
		to := fs.String("to", "", "the backup directory (required)")
		viaOpen := fs.Bool("open", false, "open the log (readonly with -readonly) and call Log.Backup")
		if err := parse(fs, &lf, args); err != nil {
			return err
		}
		if *to == "" {
			return outcome(errMissing("backup", "to"))
		}
		if !*viaOpen {
			return outcome(klevdb.Backup(lf.dir, *to))
		}
		return outcome(withLog(&lf, func(l klevdb.Log) error { return l.Backup(*to) }))
	})
}
