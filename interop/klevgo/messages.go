package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/klev-dev/klevdb"
)

// jsonMessage is a message as the tests exchange it on stdin and stdout.
// Key and Value are base64 (Go's []byte) or null; Time is Unix microseconds,
// the exact stored value. With a codec (write/read -key-codec, -value-codec)
// TypedKey/TypedValue carry the decoded values and the Empty flags.
type jsonMessage struct {
	Offset     *int64          `json:"offset,omitempty"`
	Time       *int64          `json:"time"`
	Key        []byte          `json:"key"`
	Value      []byte          `json:"value"`
	TypedKey   json.RawMessage `json:"typedKey,omitempty"`
	KeyEmpty   *bool           `json:"keyEmpty,omitempty"`
	TypedValue json.RawMessage `json:"typedValue,omitempty"`
	ValueEmpty *bool           `json:"valueEmpty,omitempty"`
	KeyError   string          `json:"keyError,omitempty"`
	ValueError string          `json:"valueError,omitempty"`
}

func toJSON(m klevdb.Message, codecs codecPair) jsonMessage {
	offset, micros := m.Offset, m.Time.UnixMicro()
	out := jsonMessage{Offset: &offset, Time: &micros, Key: m.Key, Value: m.Value}
	if codecs.key != nil {
		v, empty, err := codecs.key.decode(m.Key)
		if err != nil {
			out.KeyError = err.Error()
		} else {
			out.TypedKey, out.KeyEmpty = v, &empty
		}
	}
	if codecs.value != nil {
		v, empty, err := codecs.value.decode(m.Value)
		if err != nil {
			out.ValueError = err.Error()
		} else {
			out.TypedValue, out.ValueEmpty = v, &empty
		}
	}
	return out
}

func fromJSON(jm jsonMessage, codecs codecPair) (klevdb.Message, error) {
	m := klevdb.Message{Key: jm.Key, Value: jm.Value}
	if jm.Time != nil {
		// A nil time stays zero and klevdb stamps it with time.Now().
		m.Time = timeMicros(*jm.Time)
	}
	var err error
	if codecs.key != nil {
		if m.Key, err = codecs.key.encode(jm.TypedKey, jm.KeyEmpty != nil && *jm.KeyEmpty); err != nil {
			return m, fmt.Errorf("key: %w", err)
		}
	}
	if codecs.value != nil {
		if m.Value, err = codecs.value.encode(jm.TypedValue, jm.ValueEmpty != nil && *jm.ValueEmpty); err != nil {
			return m, fmt.Errorf("value: %w", err)
		}
	}
	return m, nil
}

// readBatches calls fn with each JSON-lines batch of r: every line is a JSON
// array of messages, published with one Publish call (rollover is checked per
// call, so the batches matter for the bytes).
func readBatches(r io.Reader, codecs codecPair, fn func([]klevdb.Message) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var batch []jsonMessage
		if err := json.Unmarshal(sc.Bytes(), &batch); err != nil {
			return fmt.Errorf("line %d: a batch must be a JSON array of messages: %w", line, err)
		}
		msgs := make([]klevdb.Message, len(batch))
		for i, jm := range batch {
			m, err := fromJSON(jm, codecs)
			if err != nil {
				return fmt.Errorf("line %d, message %d: %w", line, i, err)
			}
			msgs[i] = m
		}
		if err := fn(msgs); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
	}
	return sc.Err()
}

// parseOffsets reads a comma-separated list of offsets.
func parseOffsets(list string) (map[int64]struct{}, error) {
	offsets := map[int64]struct{}{}
	if list == "" {
		return offsets, nil
	}
	start := 0
	for i := 0; i <= len(list); i++ {
		if i < len(list) && list[i] != ',' {
			continue
		}
		o, err := strconv.ParseInt(list[start:i], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("offsets: %w", err)
		}
		offsets[o] = struct{}{}
		start = i + 1
	}
	return offsets, nil
}
