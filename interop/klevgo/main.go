// Command klevgo drives the real Go klevdb for the TypeScript port's interop
// tests and benchmarks. Each subcommand lives in a file of its own and
// registers itself in init(); `klevgo <command> [flags]`.
package main

import (
	"fmt"
	"os"
	"sort"

	// The library under test; subcommands use it, this keeps it pinned.
	_ "github.com/klev-dev/klevdb"
)

type command struct {
	summary string
	run     func(args []string) error
}

var commands = map[string]command{}

func register(name, summary string, run func(args []string) error) {
	if _, dup := commands[name]; dup {
		panic("klevgo: command registered twice: " + name)
	}
	commands[name] = command{summary: summary, run: run}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: klevgo <command> [flags]")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", name, commands[name].summary)
	}
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "klevgo: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err := cmd.run(os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "klevgo:", err)
		os.Exit(1)
	}
}
