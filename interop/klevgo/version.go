package main

import (
	"fmt"
	"runtime/debug"
)

func init() {
	register("version", "print the klevdb module version this binary was built with", func(args []string) error {
		info, ok := debug.ReadBuildInfo()
		if !ok {
			return fmt.Errorf("no build info")
		}
		for _, dep := range info.Deps {
			if dep.Path == "github.com/klev-dev/klevdb" {
				fmt.Println(dep.Version)
				return nil
			}
		}
		return fmt.Errorf("klevdb is not a dependency of this build")
	})
}
