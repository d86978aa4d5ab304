package main

import (
	"io"
	"os"
	"os/signal"
	"syscall"
)

func init() {
	register("hold", "open the log (writer, or -readonly), print a ready line, close when stdin closes or on SIGTERM", func(args []string) error {
		var lf logFlags
		fs := newFlags("hold", &lf)
		if err := parse(fs, &lf, args); err != nil {
			return err
		}
		l, err := lf.open()
		if err != nil {
			// Refused opens are the answer a lock test waits for.
			return emit(map[string]any{"ready": false, "error": err.Error()})
		}
		if err := emit(map[string]any{"ready": true, "pid": os.Getpid()}); err != nil {
			return err
		}
		<-stopRequested()
		if err := l.Close(); err != nil {
			return err
		}
		return emit(map[string]any{"closed": true})
	})
}

// stopRequested is closed when stdin reaches its end (the parent closed it or
// died) or on SIGTERM / SIGINT.
func stopRequested() <-chan struct{} {
	stop := make(chan struct{})
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(eof)
	}()
	go func() {
		select {
		case <-eof:
		case <-signals:
		}
		close(stop)
	}()
	return stop
}
