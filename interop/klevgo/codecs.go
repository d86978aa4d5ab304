package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"strconv"

	"github.com/klev-dev/klevdb"
)

// jsonCodec adapts one of klevdb's typed codecs to the JSON the tests
// exchange: encode takes the typed value as JSON, decode gives it back.
type jsonCodec struct {
	encode func(v json.RawMessage, empty bool) ([]byte, error)
	decode func(b []byte) (json.RawMessage, bool, error)
}

type codecPair struct{ key, value *jsonCodec }

func typedEncode[T any](c klevdb.Codec[T], parse func(json.RawMessage) (T, error)) func(json.RawMessage, bool) ([]byte, error) {
	return func(v json.RawMessage, empty bool) ([]byte, error) {
		var t T
		if len(v) > 0 {
			var err error
			if t, err = parse(v); err != nil {
				return nil, err
			}
		}
		return c.Encode(t, empty)
	}
}

func typedDecode[T any](c klevdb.Codec[T], format func(T) any) func([]byte) (json.RawMessage, bool, error) {
	return func(b []byte) (json.RawMessage, bool, error) {
		t, empty, err := c.Decode(b)
		if err != nil {
			return nil, empty, err
		}
		out, err := json.Marshal(format(t))
		return out, empty, err
	}
}

func unmarshalAs[T any](v json.RawMessage) (T, error) {
	var t T
	err := json.Unmarshal(v, &t)
	return t, err
}

// int64 travel as decimal strings (JSON numbers lose precision past 2^53).
func parseInt64(v json.RawMessage) (int64, error) {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return 0, fmt.Errorf("a varint is a decimal string: %w", err)
	}
	return strconv.ParseInt(s, 10, 64)
}

func identity[T any](t T) any { return t }

var codecs = map[string]*jsonCodec{
	"string": {
		encode: typedEncode[string](klevdb.StringCodec, unmarshalAs[string]),
		decode: typedDecode[string](klevdb.StringCodec, identity[string]),
	},
	"stringopt": {
		encode: typedEncode[string](klevdb.StringOptCodec, unmarshalAs[string]),
		decode: typedDecode[string](klevdb.StringOptCodec, identity[string]),
	},
	"varint": {
		encode: typedEncode[int64](klevdb.VarintCodec, parseInt64),
		decode: typedDecode[int64](klevdb.VarintCodec, func(t int64) any { return strconv.FormatInt(t, 10) }),
	},
	// Values go through any both ways, as a Go program holding maps and
	// float64s would write them: json.Marshal sorts object keys, formats
	// numbers its way and escapes HTML characters.
	"json": {
		encode: typedEncode[any](klevdb.JsonCodec[any]{}, unmarshalAs[any]),
		decode: typedDecode[any](klevdb.JsonCodec[any]{}, identity[any]),
	},
}

func lookupCodec(name string) (*jsonCodec, error) {
	if name == "" || name == "bytes" {
		return nil, nil
	}
	c, ok := codecs[name]
	if !ok {
		return nil, fmt.Errorf("unknown codec %q (bytes, string, stringopt, varint, json)", name)
	}
	return c, nil
}

// addCodecFlags adds -key-codec and -value-codec; the returned function gives
// the chosen codecs once the flags are parsed.
func addCodecFlags(fs *flag.FlagSet) func() (codecPair, error) {
	key := fs.String("key-codec", "bytes", "typed keys (typedKey, keyEmpty) with this codec: bytes, string, stringopt, varint, json")
	value := fs.String("value-codec", "bytes", "typed values (typedValue, valueEmpty) with this codec")
	return func() (codecPair, error) {
		k, err := lookupCodec(*key)
		if err != nil {
			return codecPair{}, err
		}
		v, err := lookupCodec(*value)
		return codecPair{key: k, value: v}, err
	}
}
