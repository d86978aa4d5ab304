package main

import (
	"context"
	"fmt"
	"time"
)

func ctx() context.Context { return context.Background() }

func timeMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// noBackoff lets the Multi variants go round after round without waiting:
// the tests drive one process at a time.
func noBackoff(context.Context) error { return nil }

func errMissing(cmd, flag string) error {
	return fmt.Errorf("%s: -%s is required", cmd, flag)
}
