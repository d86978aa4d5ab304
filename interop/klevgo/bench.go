package main

// klevgo bench: the storage benchmark workload (bench/workload.ts and
// bench/operations.ts) on the real Go klevdb, in a fresh directory.
//
//	klevgo bench -dir /tmp/b [-messages 200000] [-rounds 3] [-ops get,get-by-key]
//	    runs every operation (or those named) for -rounds rounds and prints
//	    one JSON object: msg/s per operation, every round, median and best.
//	    The dataset the reads ran on stays in -dir/dataset; the logs of the
//	    publish rounds are removed.
//	klevgo bench -dir /tmp/b -serve
//	    answers the Node bench (bench/go-host.ts) one JSON line at a time, so
//	    Go takes its turn round by round beside the Node peers:
//	    {"type":"build","sizes":{...}} | {"type":"run","op":"get","round":0,"sizes":{...}} | {"type":"close"}
//	    -> {"ok":true,"measurement":{"messages":N,"seconds":S}} or {"ok":false,"error":"..."}

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/klev-dev/klevdb"
)

func init() {
	register("bench", "run the storage benchmark workload in a fresh -dir and print JSON figures (msg/s per operation)", runBench)
}

// benchHost keeps the shared dataset and makes a fresh log per publish round,
// as bench/host.ts does for a Node peer.
type benchHost struct {
	dir     string
	source  *benchMessageSource
	dataset klevdb.Log
	fresh   int
}

func openBenchLog(dir string, autoSync bool) (klevdb.Log, error) {
	return klevdb.Open(dir, klevdb.Options{
		CreateDirs: true,
		KeyIndex:   true,
		TimeIndex:  true,
		Rollover:   benchRolloverBytes,
		AutoSync:   autoSync,
	})
}

// build publishes the shared dataset in batches of 100 (the first figure).
func (h *benchHost) build(sizes benchSizes) (benchMeasurement, error) {
	if h.dataset != nil {
		return benchMeasurement{}, errors.New("the dataset is already built")
	}
	log, err := openBenchLog(filepath.Join(h.dir, "dataset"), false)
	if err != nil {
		return benchMeasurement{}, err
	}
	h.dataset = log
	return benchPublishAll(log, h.source, sizes.Dataset, 100)
}

// run measures one round of one operation; the round picks the lookups' seed.
func (h *benchHost) run(id string, round int, sizes benchSizes) (benchMeasurement, error) {
	op, err := findBenchOp(id)
	if err != nil {
		return benchMeasurement{}, err
	}
	seed := uint32(1 + round)
	if !op.fresh {
		if h.dataset == nil {
			return benchMeasurement{}, fmt.Errorf("%s needs the dataset: build it first", id)
		}
		return op.run(h.dataset, sizes, h.source, seed)
	}
	dir := filepath.Join(h.dir, fmt.Sprintf("fresh-%d", h.fresh))
	h.fresh++
	log, err := openBenchLog(dir, op.autoSync)
	if err != nil {
		return benchMeasurement{}, err
	}
	result, err := op.run(log, sizes, h.source, seed)
	if closeErr := log.Close(); err == nil {
		err = closeErr
	}
	if removeErr := os.RemoveAll(dir); err == nil {
		err = removeErr
	}
	return result, err
}

func (h *benchHost) close() error {
	if h.dataset == nil {
		return nil
	}
	err := h.dataset.Close()
	h.dataset = nil
	return err
}

func runBench(args []string) error {
	flags := flag.NewFlagSet("bench", flag.ContinueOnError)
	dir := flags.String("dir", "", "a fresh (missing or empty) directory for the logs (required)")
	messages := flags.Int("messages", 200_000, "messages in the dataset the reads run on; the other amounts are capped as bench/run.ts caps them")
	rounds := flags.Int("rounds", 3, "rounds per operation")
	ops := flags.String("ops", "", "comma-separated operation ids (default: all)")
	serve := flags.Bool("serve", false, "answer JSON-line requests on stdin (driven by the Node bench) instead of running everything")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("bench: -dir is required: a fresh directory for the logs")
	}
	if *messages <= 0 || *rounds <= 0 {
		return errors.New("bench: -messages and -rounds must be positive")
	}
	selected, err := benchSelectOps(*ops)
	if err != nil {
		return err
	}
	if err := benchFreshDir(*dir); err != nil {
		return err
	}
	host := &benchHost{dir: *dir, source: newBenchMessageSource(42)}
	defer host.close()
	if *serve {
		return serveBench(host, os.Stdin, os.Stdout)
	}
	report, err := benchAll(host, benchSizesFor(*messages), *rounds, selected)
	if err != nil {
		return err
	}
	out := json.NewEncoder(os.Stdout)
	out.SetIndent("", "  ")
	return out.Encode(report)
}

// benchFreshDir creates dir, or accepts it when it exists and is empty.
func benchFreshDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dir, 0o755)
	case err != nil:
		return fmt.Errorf("bench: -dir %s: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("bench: -dir %s is not empty; give a missing or empty directory", dir)
	}
	return nil
}

func benchSelectOps(list string) ([]benchOp, error) {
	if list == "" {
		return benchOps, nil
	}
	var selected []benchOp
	for _, id := range strings.Split(list, ",") {
		op, err := findBenchOp(id)
		if err != nil {
			return nil, err
		}
		selected = append(selected, op)
	}
	return selected, nil
}

type benchFigure struct {
	ID     string    `json:"id"`
	Label  string    `json:"label"`
	Unit   string    `json:"unit"`
	Median float64   `json:"median"`
	Best   float64   `json:"best"`
	Rounds []float64 `json:"rounds"`
}

type benchReport struct {
	Go      string        `json:"go"`
	Cores   int           `json:"cores"`
	Sizes   benchSizes    `json:"sizes"`
	Rounds  int           `json:"rounds"`
	Figures []benchFigure `json:"figures"`
}

func newBenchFigure(id, label string, rates []float64) benchFigure {
	sorted := slices.Clone(rates)
	slices.Sort(sorted)
	median := sorted[len(sorted)/2]
	if len(sorted)%2 == 0 {
		median = (sorted[len(sorted)/2-1] + median) / 2
	}
	return benchFigure{ID: id, Label: label, Unit: "msg/s", Median: median, Best: sorted[len(sorted)-1], Rounds: rates}
}

func benchRate(m benchMeasurement) float64 { return float64(m.Messages) / m.Seconds }

// benchAll builds the dataset, then runs each operation for every round.
func benchAll(host *benchHost, sizes benchSizes, rounds int, ops []benchOp) (benchReport, error) {
	report := benchReport{Go: runtime.Version(), Cores: runtime.NumCPU(), Sizes: sizes, Rounds: rounds}
	runtime.GC()
	built, err := host.build(sizes)
	if err != nil {
		return report, fmt.Errorf("building the dataset: %w", err)
	}
	label := fmt.Sprintf("publish, batch 100, building the %d-message dataset", sizes.Dataset)
	report.Figures = append(report.Figures, newBenchFigure("publish-100-dataset", label, []float64{benchRate(built)}))
	for _, op := range ops {
		rates := make([]float64, rounds)
		for round := range rates {
			runtime.GC()
			m, err := host.run(op.id, round, sizes)
			if err != nil {
				return report, fmt.Errorf("%s, round %d: %w", op.id, round, err)
			}
			rates[round] = benchRate(m)
		}
		report.Figures = append(report.Figures, newBenchFigure(op.id, op.label, rates))
	}
	return report, nil
}

type benchRequest struct {
	Type  string     `json:"type"`
	Op    string     `json:"op"`
	Round int        `json:"round"`
	Sizes benchSizes `json:"sizes"`
}

type benchReply struct {
	OK          bool              `json:"ok"`
	Measurement *benchMeasurement `json:"measurement,omitempty"`
	Error       string            `json:"error,omitempty"`
}

// serveBench answers one request per line until "close" or the end of input
// (the parent went away), after a first {"ok":true} that says it is ready.
func serveBench(host *benchHost, in io.Reader, out io.Writer) error {
	encoder := json.NewEncoder(out)
	if err := encoder.Encode(benchReply{OK: true}); err != nil {
		return err
	}
	lines := bufio.NewScanner(in)
	lines.Buffer(make([]byte, 64*1024), 1<<20)
	for lines.Scan() {
		var request benchRequest
		var m benchMeasurement
		err := json.Unmarshal(lines.Bytes(), &request)
		if err == nil {
			runtime.GC()
			switch request.Type {
			case "build":
				m, err = host.build(request.Sizes)
			case "run":
				m, err = host.run(request.Op, request.Round, request.Sizes)
			case "close":
				err = host.close()
			default:
				err = fmt.Errorf("unknown request type %q; known: build, run, close", request.Type)
			}
		}
		reply := benchReply{OK: err == nil}
		if err != nil {
			reply.Error = err.Error()
		} else if request.Type != "close" {
			reply.Measurement = &m
		}
		if encodeErr := encoder.Encode(reply); encodeErr != nil {
			return encodeErr
		}
		if request.Type == "close" && err == nil {
			return nil
		}
	}
	return lines.Err()
}
