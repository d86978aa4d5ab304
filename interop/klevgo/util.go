package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/klev-dev/klevdb"
)

func ctx() context.Context { return context.Background() }

func timeMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// noBackoff lets the Multi variants go round after round without waiting:
// the tests drive one process at a time.
func noBackoff(context.Context) error { return nil }

func errMissing(cmd, flag string) error {
	return fmt.Errorf("%s: -%s is required", cmd, flag)
}

// errCode names a klevdb error as the TypeScript LogError codes do, so the
// tests can compare how the two libraries refuse the same operation.
func errCode(err error) string {
	switch {
	case errors.Is(err, klevdb.ErrNotFound):
		return "ERR_NOT_FOUND"
	case errors.Is(err, klevdb.ErrInvalidOffset):
		return "ERR_INVALID_OFFSET"
	case errors.Is(err, klevdb.ErrNoIndex):
		return "ERR_NO_INDEX"
	case errors.Is(err, klevdb.ErrReadonly):
		return "ERR_READONLY"
	}
	return "ERR_OTHER"
}

// answer is one JSON line of output.
type answer = map[string]any

// refusal is {"error", "code"} for an operation the open log refused: an
// answer to compare, not a failure of the command.
func refusal(err error) answer {
	return answer{"error": err.Error(), "code": errCode(err)}
}
