package dist

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/nats-io/nats.go/jetstream"
)

// A Task is one batch entry to audit.
type Task struct {
	Schema  int    `json:"schema"`
	Version string `json:"version"` // the coordinator's binary version
	Run     string `json:"run"`
	ID      string `json:"id"` // t0001, …
	Name    string `json:"name"`
	// Out is the entry's folder on the coordinator, as its row names it.
	Out      string         `json:"out"`
	Settings study.Settings `json:"settings"`
	// Inputs are the files the settings name that the coordinator could
	// read, each with its companions (a Shapefile's .dbf, …).
	Inputs []Input `json:"inputs"`
	// Kind is KindCover for a proposal shard's coverage sets (Part is then
	// the shard in the inputs store: propose.go); "" for a batch entry.
	Kind string `json:"kind,omitempty"`
	Part *File  `json:"part,omitempty"`
	// Shard, when set, makes the task one shard of a sharded audit
	// (shards.go) instead of a batch entry.
	Shard *ShardSpec `json:"shard,omitempty"`
	// Digest is the SHA-256 of the task without it: with the run and the
	// task id, the key of its result.
	Digest string `json:"digest,omitempty"`
}

// An Input is a file as the settings name it, and the files a worker
// fetches for it, which it puts in one folder.
type Input struct {
	Path  string `json:"path"`
	Files []File `json:"files"`
}

// A File is an input file by name and content (the object's name in the
// inputs store is SHA256).
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// key is the name of the folder a worker reads the input from: the same
// files under the same names share it.
func (in Input) key() string {
	h := sha256.New()
	for _, f := range in.Files {
		fmt.Fprintf(h, "%s\x00%s\n", f.Name, f.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// digest returns the SHA-256 of the task without its digest.
func (t Task) digest() string {
	t.Digest = ""
	b, _ := json.Marshal(t)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// resultName is the key of the task's result.
func (t Task) resultName() string { return t.Run + "/" + t.ID + "/" + t.Digest }

// Task states in the bucket (State.State).
const (
	Pending = "pending" // published, not yet taken (or given back)
	Running = "running"
	Errored = "error"   // an attempt failed; it will be delivered again
	Refused = "refused" // a worker of another version gave it back
	Done    = "done"
	Failed  = "failed" // delivered MaxDeliver times without a result
)

// State is a task's state, under task.RUN.TASK in the bucket.
type State struct {
	Task    string    `json:"task"`
	Name    string    `json:"name"`
	State   string    `json:"state"`
	Worker  string    `json:"worker,omitempty"`
	Attempt int       `json:"attempt,omitempty"`
	Error   string    `json:"error,omitempty"`
	Row     string    `json:"row,omitempty"` // the entry's status once done
	Result  string    `json:"result,omitempty"`
	Time    time.Time `json:"time"`
}

func taskKey(run, id string) string { return "task." + run + "." + id }
func runKey(run string) string      { return "run." + run }

// putState records a task's state.
func putState(ctx context.Context, kv jetstream.KeyValue, run string, s State) error {
	s.Time = time.Now().UTC()
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = kv.Put(ctx, taskKey(run, s.Task), b)
	return err
}

// companions are the files read with a Shapefile.
var companions = []string{".shx", ".dbf", ".prj", ".cpg"}

// uploadInput sends path (and its companions) to the inputs store, each
// file once by content. ok is false when path is not a file the
// coordinator can read: the worker is then given the name as it is, and
// reports what reading it there gives.
func uploadInput(ctx context.Context, obs jetstream.ObjectStore, path string) (Input, bool, error) {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return Input{}, false, nil
	}
	in := Input{Path: path}
	files := []string{path}
	if strings.EqualFold(filepath.Ext(path), ".shp") {
		stem := strings.TrimSuffix(path, filepath.Ext(path))
		entries, _ := os.ReadDir(filepath.Dir(path))
		for _, de := range entries {
			p := filepath.Join(filepath.Dir(path), de.Name())
			if strings.EqualFold(strings.TrimSuffix(p, filepath.Ext(p)), stem) && slices.ContainsFunc(companions, func(c string) bool { return strings.EqualFold(c, filepath.Ext(p)) }) {
				files = append(files, p)
			}
		}
	}
	for _, p := range files {
		f, err := putFile(ctx, obs, p)
		if err != nil {
			return Input{}, false, err
		}
		in.Files = append(in.Files, f)
	}
	return in, true, nil
}

// putFile stores one file under the SHA-256 of its content, unless the
// store already has it.
func putFile(ctx context.Context, obs jetstream.ObjectStore, path string) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return File{}, err
	}
	return putHashed(ctx, obs, f, File{Name: filepath.Base(path), SHA256: hex.EncodeToString(h.Sum(nil)), Size: n})
}

// putHashed stores r, whose name, SHA-256 and size out gives, under its
// SHA-256, unless the store already has it. A send cut by a restarting
// server is sent again from the start (retryTransient).
func putHashed(ctx context.Context, obs jetstream.ObjectStore, r io.ReadSeeker, out File) (File, error) {
	err := retryTransient(ctx, func() error {
		if info, err := obs.GetInfo(ctx, out.SHA256); err == nil && info.Size == uint64(out.Size) {
			return nil
		}
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return err
		}
		_, err := obs.Put(ctx, jetstream.ObjectMeta{Name: out.SHA256, Description: out.Name}, r)
		return err
	})
	if err != nil {
		return File{}, fmt.Errorf("send input %s to the engine: %w", out.Name, err)
	}
	return out, nil
}

// fetchTimeout is how long reading an object of size bytes may take in
// all: 30 s and 1 s per MB. Without a deadline the store gives each read
// 5 s, which a server busy serving several large parts at once can miss
// (a 160 MB part on a 2-core machine with 4 workers: "read pipe: i/o
// timeout", and a redelivery).
func fetchTimeout(size int64) time.Duration {
	return 30*time.Second + time.Duration(size/1e6)*time.Second
}

// readContext gives a read of object name from obs a deadline of
// fetchTimeout(its size): without a deadline the store gives each read 5 s,
// which a busy server can miss (a shard's result read by the coordinator
// failed so in a loaded test run). A deadline of ctx's own that is sooner
// stays.
func readContext(ctx context.Context, obs jetstream.ObjectStore, name string) (context.Context, context.CancelFunc) {
	var size int64
	if info, err := obs.GetInfo(ctx, name); err == nil {
		size = int64(info.Size)
	}
	return context.WithTimeout(ctx, fetchTimeout(size))
}

// getChecked opens the object stored under the SHA-256 sum (hex) and
// checks that the digest the store keeps for it is sum. The store checks
// the content against that digest as it is read: the reader returns
// jetstream.ErrDigestMismatch instead of io.EOF when they differ, so a
// caller reads to the end and needs no second hash of its own.
func getChecked(ctx context.Context, obs jetstream.ObjectStore, sum string) (jetstream.ObjectResult, error) {
	want, err := hex.DecodeString(sum)
	if err != nil || len(want) != sha256.Size {
		return nil, fmt.Errorf("%q is not a SHA-256 in hex", sum)
	}
	r, err := obs.Get(ctx, sum)
	if err != nil {
		return nil, err
	}
	info, err := r.Info()
	if err == nil {
		var got []byte
		if got, err = jetstream.DecodeObjectDigest(info.Digest); err == nil && !bytes.Equal(got, want) {
			err = fmt.Errorf("the store's digest of %s is %s: not its name (a foreign object under that name?)", sum, info.Digest)
		}
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// fetchInput puts in's files into root/KEY/ (once: a folder already
// complete is used as it is) and returns the worker's path of in.Path.
func fetchInput(ctx context.Context, obs jetstream.ObjectStore, root string, in Input) (string, error) {
	dir := filepath.Join(root, in.key())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for _, f := range in.Files {
		if f.Name != filepath.Base(f.Name) || f.Name == "." || f.Name == ".." {
			return "", fmt.Errorf("input file name %q is not a plain name", f.Name)
		}
		p := filepath.Join(dir, f.Name)
		if st, err := os.Stat(p); err == nil && st.Size() == f.Size {
			continue
		}
		err := data.WriteFileAtomic(p, func(w io.Writer) error {
			fctx, cancel := context.WithTimeout(ctx, fetchTimeout(f.Size))
			defer cancel()
			r, err := getChecked(fctx, obs, f.SHA256)
			if err != nil {
				return err
			}
			defer r.Close()
			_, err = io.Copy(w, r) // to the end: the content is checked there
			return err
		})
		if err != nil {
			return "", fmt.Errorf("fetch input %s (%s): %w", in.Path, f.SHA256, err)
		}
	}
	return filepath.Join(dir, filepath.Base(in.Path)), nil
}

// A result is what a worker stores for a task: its row, its types and its
// output files.
type result struct {
	Row   data.BatchRow `json:"row"`
	Types []string      `json:"types"`
}

// putResult stores the row and every file of dir (none when dir is "")
// as one tar archive under the task's result name, replacing any earlier
// one of the same name.
func putResult(ctx context.Context, obs jetstream.ObjectStore, t Task, res result, dir string) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeTar(pw, res, dir)) }()
	_, err := obs.Put(ctx, jetstream.ObjectMeta{Name: t.resultName()}, pr)
	pr.CloseWithError(err)
	return err
}

func writeTar(w io.Writer, res result, dir string) error {
	tw := tar.NewWriter(w)
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "row.json", Mode: 0o644, Size: int64(len(b))}); err != nil {
		return err
	}
	if _, err := tw.Write(b); err != nil {
		return err
	}
	if dir != "" {
		if err := tw.AddFS(os.DirFS(dir)); err != nil {
			return err
		}
	}
	return tw.Close()
}

// getResult reads a task's result; with dir != "" it writes the output
// files into dir.
func getResult(ctx context.Context, obs jetstream.ObjectStore, name, dir string) (result, error) {
	var res result
	ctx, cancel := readContext(ctx, obs, name)
	defer cancel()
	r, err := obs.Get(ctx, name)
	if err != nil {
		return res, err
	}
	defer r.Close()
	tr := tar.NewReader(r)
	seenRow := false
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, fmt.Errorf("result %s: %w", name, err)
		}
		switch {
		case h.Name == "row.json":
			if err := json.NewDecoder(tr).Decode(&res); err != nil {
				return res, fmt.Errorf("result %s: %w", name, err)
			}
			seenRow = true
		case h.Typeflag == tar.TypeDir || dir == "":
		case h.Typeflag == tar.TypeReg:
			p := filepath.Join(dir, filepath.FromSlash(h.Name))
			if !filepath.IsLocal(filepath.FromSlash(h.Name)) {
				return res, fmt.Errorf("result %s: file name %q leaves its folder", name, h.Name)
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return res, err
			}
			f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
			if err != nil {
				return res, err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return res, fmt.Errorf("result %s: %s: %w", name, h.Name, err)
			}
		}
	}
	if !seenRow {
		return res, fmt.Errorf("result %s has no row", name)
	}
	return res, nil
}
