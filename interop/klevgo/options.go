package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/klev-dev/klevdb"
)

// logFlags are the klevdb.Options every subcommand that opens or inspects a
// log takes, spelled as the TypeScript options are.
type logFlags struct {
	dir         string
	keyIndex    bool
	timeIndex   bool
	rollover    int64
	version     string
	readonly    bool
	createDirs  bool
	autoSync    bool
	check       bool
	recover     bool
	keepRewrite bool
	eager       bool
}

func newFlags(name string, lf *logFlags) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&lf.dir, "dir", "", "the log directory (required)")
	fs.BoolVar(&lf.keyIndex, "key-index", false, "Options.KeyIndex")
	fs.BoolVar(&lf.timeIndex, "time-index", false, "Options.TimeIndex")
	fs.Int64Var(&lf.rollover, "rollover", 0, "Options.Rollover in bytes (0: klevdb's 1 MiB)")
	fs.StringVar(&lf.version, "version", "V2", "Options.Version.NewSegmentsVersion: V1 or V2")
	fs.BoolVar(&lf.readonly, "readonly", false, "Options.Readonly")
	fs.BoolVar(&lf.createDirs, "create-dirs", true, "Options.CreateDirs")
	fs.BoolVar(&lf.autoSync, "auto-sync", false, "Options.AutoSync")
	fs.BoolVar(&lf.check, "check", false, "Options.Check")
	fs.BoolVar(&lf.recover, "recover", false, "Options.Recover")
	fs.BoolVar(&lf.keepRewrite, "keep-rewrite-version", false, "Options.Version.KeepRewriteVersion")
	fs.BoolVar(&lf.eager, "eager-migrate", false, "Options.Version.EagerVersionMigrate")
	return fs
}

// parse parses args into lf and checks the flags every command needs.
func parse(fs *flag.FlagSet, lf *logFlags, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %q", fs.Name(), fs.Args())
	}
	if lf.dir == "" {
		return fmt.Errorf("%s: -dir is required", fs.Name())
	}
	if _, err := parseVersion(lf.version); err != nil {
		return err
	}
	return nil
}

func parseVersion(v string) (klevdb.Version, error) {
	switch v {
	case "V1":
		return klevdb.V1, nil
	case "V2":
		return klevdb.V2, nil
	}
	return klevdb.V2, fmt.Errorf("version must be V1 or V2, got %q", v)
}

func (lf *logFlags) options() klevdb.Options {
	version, _ := parseVersion(lf.version)
	return klevdb.Options{
		CreateDirs: lf.createDirs && !lf.readonly,
		Readonly:   lf.readonly,
		KeyIndex:   lf.keyIndex,
		TimeIndex:  lf.timeIndex,
		AutoSync:   lf.autoSync,
		Rollover:   lf.rollover,
		Check:      lf.check,
		Recover:    lf.recover,
		Version: klevdb.VersionOptions{
			NewSegmentsVersion:  version,
			KeepRewriteVersion:  lf.keepRewrite,
			EagerVersionMigrate: lf.eager,
		},
	}
}

func (lf *logFlags) open() (klevdb.Log, error) {
	return klevdb.Open(lf.dir, lf.options())
}

// withLog opens the log, runs fn and closes it, reporting the first error.
func withLog(lf *logFlags, fn func(l klevdb.Log) error) (err error) {
	l, err := lf.open()
	if err != nil {
		return err
	}
	defer func() {
		if cerr := l.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	return fn(l)
}

var stdout = json.NewEncoder(os.Stdout)

// emit prints one JSON line on stdout.
func emit(v any) error {
	return stdout.Encode(v)
}

// outcome prints {"ok":true} or {"ok":false,"error":...}: the caller compares
// outcomes, so a failed check or recover is an answer, not a crash.
func outcome(err error) error {
	if err != nil {
		return emit(map[string]any{"ok": false, "error": err.Error()})
	}
	return emit(map[string]any{"ok": true})
}
