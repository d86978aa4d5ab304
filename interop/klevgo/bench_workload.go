package main

// The storage benchmark's workload, ported from bench/workload.ts so that Go
// klevdb is fed the very bytes the Node peers are fed and asked the very same
// random questions: keys `%10d`, 128-byte values from a pool seeded with 42,
// one message per millisecond from 2026-01-01, lookups drawn with benchRandom.

import (
	"fmt"
	"math"
	"time"

	"github.com/klev-dev/klevdb"
)

const (
	benchKeyBytes       = 10
	benchValueBytes     = 128
	benchRolloverBytes  = 1 << 20
	benchValuePoolSize  = 256
	benchTimeStepMicros = 1000
)

// 2026-01-01T00:00:00Z in microseconds, as BASE_TIME_MICROS in workload.ts.
var benchBaseTimeMicros = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

// benchRandom exactly as seededRandom in workload.ts: the JavaScript version
// works on 32-bit integers (Math.imul, >>> 0), which uint32 arithmetic
// reproduces bit for bit, and divides by 2^32 in float64 as Go does here.
type benchRandom struct{ state uint32 }

func (m *benchRandom) next() float64 {
	m.state += 0x6d2b79f5
	t := m.state
	t = (t ^ (t >> 15)) * (t | 1)
	t ^= t + (t^(t>>7))*(t|61)
	return float64(t^(t>>14)) / 4294967296
}

func benchKey(index int) []byte {
	return fmt.Appendf(make([]byte, 0, benchKeyBytes), "%10d", index)
}

func benchTimeMicros(index int) int64 {
	return benchBaseTimeMicros + int64(index)*benchTimeStepMicros
}

// benchRandomIndexes: `count` message indexes in [0, limit), the same for every
// peer given the same seed (benchRandomIndexes in workload.ts).
func benchRandomIndexes(count, limit int, seed uint32) []int {
	rng := benchRandom{state: seed}
	out := make([]int, count)
	for i := range out {
		out[i] = int(math.Floor(rng.next() * float64(limit)))
	}
	return out
}

// benchMessageSource builds messages outside the timed sections (MessageSource in
// workload.ts): values cycle through a pool of random buffers.
type benchMessageSource struct {
	values [][]byte
}

func newBenchMessageSource(seed uint32) *benchMessageSource {
	rng := benchRandom{state: seed}
	values := make([][]byte, benchValuePoolSize)
	for i := range values {
		value := make([]byte, benchValueBytes)
		for j := range value {
			value[j] = byte(math.Floor(rng.next() * 256))
		}
		values[i] = value
	}
	return &benchMessageSource{values: values}
}

// messages start .. start+count-1, keys sliced from one allocation.
func (s *benchMessageSource) messages(start, count int) []klevdb.Message {
	keys := make([]byte, 0, count*benchKeyBytes)
	out := make([]klevdb.Message, count)
	for i := range out {
		index := start + i
		from := len(keys)
		keys = fmt.Appendf(keys, "%10d", index)
		out[i] = klevdb.Message{
			Key:   keys[from:len(keys):len(keys)],
			Value: s.values[index%benchValuePoolSize],
			Time:  time.UnixMicro(benchTimeMicros(index)).UTC(),
		}
	}
	return out
}
