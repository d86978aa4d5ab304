package main

import "github.com/klev-dev/klevdb"

func init() {
	register("check", "klevdb.Check of closed logs (-dir, and any more dirs after the flags): one {ok} or {ok:false, error} line each", func(args []string) error {
		var lf logFlags
		fs := newFlags("check", &lf)
		if err := fs.Parse(args); err != nil {
			return err
		}
		dirs := append([]string{lf.dir}, fs.Args()...)
		if lf.dir == "" {
			return errMissing("check", "dir")
		}
		if _, err := parseVersion(lf.version); err != nil {
			return err
		}
		for _, dir := range dirs {
			if err := outcome(klevdb.Check(dir, lf.options())); err != nil {
				return err
			}
		}
		return nil
	})
}
