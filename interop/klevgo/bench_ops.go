package main

// The measured operations, as bench/operations.ts defines them: only the
// klevdb calls are timed; messages and lookup arguments are built before the
// clock starts, and every answer is checked against the offset it must have.

import (
	"fmt"
	"time"

	"github.com/klev-dev/klevdb"
)

// benchSizes mirrors Sizes in bench/operations.ts (same JSON names).
type benchSizes struct {
	Dataset        int `json:"dataset"`
	PublishOne     int `json:"publishOne"`
	PublishHundred int `json:"publishHundred"`
	PublishSynced  int `json:"publishSynced"`
	ConsumeOne     int `json:"consumeOne"`
	Lookups        int `json:"lookups"`
}

// benchSizesFor caps each operation as benchSizesFor in bench/run.ts does.
func benchSizesFor(dataset int) benchSizes {
	return benchSizes{
		Dataset:        dataset,
		PublishOne:     min(dataset, 50_000),
		PublishHundred: min(dataset, 200_000),
		PublishSynced:  min(dataset, 20_000),
		ConsumeOne:     min(dataset, 200_000),
		Lookups:        min(dataset, 50_000),
	}
}

type benchMeasurement struct {
	Messages int     `json:"messages"`
	Seconds  float64 `json:"seconds"`
}

type benchOp struct {
	id    string
	label string
	// fresh: a new empty log per round, opened with autoSync; otherwise the shared dataset.
	fresh    bool
	autoSync bool
	run      func(log klevdb.Log, sizes benchSizes, source *benchMessageSource, seed uint32) (benchMeasurement, error)
}

// Big enough to hide the clock reads, small enough not to hold the whole dataset.
const benchChunkMessages = 10_000

func benchPublishAll(log klevdb.Log, source *benchMessageSource, total, batchSize int) (benchMeasurement, error) {
	var elapsed time.Duration
	for start := 0; start < total; start += benchChunkMessages {
		chunk := source.messages(start, min(benchChunkMessages, total-start))
		began := time.Now()
		for i := 0; i < len(chunk); i += batchSize {
			if _, err := log.Publish(chunk[i:min(i+batchSize, len(chunk))]); err != nil {
				return benchMeasurement{}, err
			}
		}
		elapsed += time.Since(began)
	}
	return benchMeasurement{Messages: total, Seconds: elapsed.Seconds()}, nil
}

func benchConsumeAll(log klevdb.Log, total, batchSize int) (benchMeasurement, error) {
	began := time.Now()
	offset := int64(0)
	for offset < int64(total) {
		next, messages, err := log.Consume(offset, min(int64(batchSize), int64(total)-offset))
		if err != nil {
			return benchMeasurement{}, err
		}
		if len(messages) == 0 || messages[0].Offset != offset {
			return benchMeasurement{}, fmt.Errorf("consume(%d) returned %d messages, not starting at it", offset, len(messages))
		}
		offset = next
	}
	return benchMeasurement{Messages: total, Seconds: time.Since(began).Seconds()}, nil
}

func benchPublishOp(id, label string, batchSize int, count func(benchSizes) int, autoSync bool) benchOp {
	return benchOp{id: id, label: label, fresh: true, autoSync: autoSync,
		run: func(log klevdb.Log, sizes benchSizes, source *benchMessageSource, _ uint32) (benchMeasurement, error) {
			return benchPublishAll(log, source, count(sizes), batchSize)
		}}
}

func benchConsumeOp(id, label string, batchSize int, count func(benchSizes) int) benchOp {
	return benchOp{id: id, label: label,
		run: func(log klevdb.Log, sizes benchSizes, _ *benchMessageSource, _ uint32) (benchMeasurement, error) {
			return benchConsumeAll(log, count(sizes), batchSize)
		}}
}

// benchLookupOp: random single-message reads of the dataset, the arguments built
// from the indexes before the clock starts.
func benchLookupOp[A any](id, label string, argument func(index int) A, call func(klevdb.Log, A) (klevdb.Message, error)) benchOp {
	return benchOp{id: id, label: label,
		run: func(log klevdb.Log, sizes benchSizes, _ *benchMessageSource, seed uint32) (benchMeasurement, error) {
			indexes := benchRandomIndexes(sizes.Lookups, sizes.Dataset, seed)
			args := make([]A, len(indexes))
			for i, index := range indexes {
				args[i] = argument(index)
			}
			began := time.Now()
			for i, arg := range args {
				message, err := call(log, arg)
				if err != nil {
					return benchMeasurement{}, fmt.Errorf("%s of message %d: %w", id, indexes[i], err)
				}
				if message.Offset != int64(indexes[i]) {
					return benchMeasurement{}, fmt.Errorf("%s: expected offset %d, got %d", id, indexes[i], message.Offset)
				}
			}
			return benchMeasurement{Messages: len(args), Seconds: time.Since(began).Seconds()}, nil
		}}
}

var benchOps = []benchOp{
	benchPublishOp("publish-1", "publish, batch 1", 1, func(s benchSizes) int { return s.PublishOne }, false),
	benchPublishOp("publish-100", "publish, batch 100", 100, func(s benchSizes) int { return s.PublishHundred }, false),
	benchPublishOp("publish-100-sync", "publish, batch 100, autoSync", 100, func(s benchSizes) int { return s.PublishSynced }, true),
	benchConsumeOp("consume-1", "consume, batch 1", 1, func(s benchSizes) int { return s.ConsumeOne }),
	benchConsumeOp("consume-100", "consume, batch 100 (CRC-verified)", 100, func(s benchSizes) int { return s.Dataset }),
	benchLookupOp("get", "get by random offset",
		func(i int) int64 { return int64(i) },
		func(log klevdb.Log, offset int64) (klevdb.Message, error) { return log.Get(offset) }),
	benchLookupOp("get-by-key", "getByKey, random", benchKey,
		func(log klevdb.Log, key []byte) (klevdb.Message, error) { return log.GetByKey(key) }),
	benchLookupOp("get-by-time", "getByTime, random",
		func(i int) time.Time { return time.UnixMicro(benchTimeMicros(i)).UTC() },
		func(log klevdb.Log, start time.Time) (klevdb.Message, error) { return log.GetByTime(start) }),
}

func findBenchOp(id string) (benchOp, error) {
	for _, op := range benchOps {
		if op.id == id {
			return op, nil
		}
	}
	ids := make([]string, len(benchOps))
	for i, op := range benchOps {
		ids[i] = op.id
	}
	return benchOp{}, fmt.Errorf("unknown operation %q; known: %v", id, ids)
}
