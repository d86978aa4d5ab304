package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"github.com/klev-dev/klevdb"
)

// sessionCommand is one line of `klevgo session` input.
type sessionCommand struct {
	Op            string        `json:"op"`
	Messages      []jsonMessage `json:"messages"`
	Offsets       []int64       `json:"offsets"`
	Multi         bool          `json:"multi"`
	UpdatesBefore *int64        `json:"updatesBefore"`
	DeletesBefore *int64        `json:"deletesBefore"`
	By            string        `json:"by"`
	Value         int64         `json:"value"`
	Version       string        `json:"version"`
	Eager         bool          `json:"eager"`
}

func init() {
	register("session", "keep the log open and apply JSON commands from stdin, one answer line each (publish, delete, compact, trim, read, close, open)", func(args []string) error {
		var lf logFlags
		fs := newFlags("session", &lf)
		if err := parse(fs, &lf, args); err != nil {
			return err
		}
		s := &session{lf: lf}
		if err := s.open(false); err != nil {
			return err
		}
		sc := bufio.NewScanner(os.Stdin)
		sc.Buffer(make([]byte, 1<<20), 256<<20)
		for sc.Scan() {
			var cmd sessionCommand
			if err := json.Unmarshal(sc.Bytes(), &cmd); err != nil {
				return fmt.Errorf("session: a command is a JSON object: %w", err)
			}
			a, err := s.apply(cmd)
			if err != nil {
				return err
			}
			if err := emit(a); err != nil {
				return err
			}
		}
		if err := sc.Err(); err != nil {
			return err
		}
		return s.close()
	})
}

// session is one log kept open across commands, as an application keeps it:
// state that lives only while it is open (the index time chain a rollover
// carries, for one) is then the same as in the TypeScript log it is compared with.
type session struct {
	lf  logFlags
	log klevdb.Log
}

func (s *session) open(eager bool) error {
	opts := s.lf.options()
	opts.Version.EagerVersionMigrate = eager
	l, err := klevdb.Open(s.lf.dir, opts)
	if err != nil {
		return err
	}
	s.log = l
	return nil
}

func (s *session) close() error {
	if s.log == nil {
		return nil
	}
	err := s.log.Close()
	s.log = nil
	return err
}

func (s *session) apply(cmd sessionCommand) (answer, error) {
	if s.log == nil && cmd.Op != "open" {
		return nil, fmt.Errorf("session: %q on a closed log (send open first)", cmd.Op)
	}
	switch cmd.Op {
	case "publish":
		msgs := make([]klevdb.Message, len(cmd.Messages))
		for i, jm := range cmd.Messages {
			m, err := fromJSON(jm, codecPair{})
			if err != nil {
				return nil, err
			}
			msgs[i] = m
		}
		next, err := s.log.Publish(msgs)
		if err != nil {
			return refusal(err), nil
		}
		return answer{"nextOffset": next}, nil
	case "delete":
		offsets := map[int64]struct{}{}
		for _, o := range cmd.Offsets {
			offsets[o] = struct{}{}
		}
		return deleteOp(s.log, offsets, cmd.Multi), nil
	case "compact":
		return compactOp(s.log, cmd.UpdatesBefore, cmd.DeletesBefore), nil
	case "trim":
		return trimOp(s.log, cmd.By, cmd.Value)
	case "read":
		all, next, err := readAll(s.log)
		if err != nil {
			return nil, err
		}
		a, err := summaryOf(s.log, next)
		if err != nil {
			return nil, err
		}
		msgs := make([]jsonMessage, len(all))
		for i, m := range all {
			msgs[i] = toJSON(m, codecPair{})
		}
		a["messages"] = msgs
		return a, nil
	case "close":
		return answer{"closed": true}, s.close()
	case "open":
		if s.log != nil {
			return nil, fmt.Errorf("session: open of an open log (send close first)")
		}
		if cmd.Version != "" {
			if _, err := parseVersion(cmd.Version); err != nil {
				return nil, err
			}
			s.lf.version = cmd.Version
		}
		return answer{"opened": true}, s.open(cmd.Eager)
	}
	return nil, fmt.Errorf("session: unknown op %q", cmd.Op)
}
