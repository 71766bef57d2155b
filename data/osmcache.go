package data

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// An OSMCache keeps what reading an OpenStreetMap extract gave — the walk
// network and, for audits, the facilities and buildings — so that the
// next run on the same extract loads it instead of decoding the extract
// and building the network again (as a GIS builds a network dataset
// once). An entry is found by a SHA-256 of the extract's bytes, its file
// name, what was taken from it (the profile's selectors, buildings or
// not) and the lifecircle executable (its path, size and time: any other
// build reads the extract afresh), so a changed extract, profile or
// program never meets an old entry. Entries are written whole to a
// temporary file and renamed; one that does not read back (damaged,
// truncated, CRC mismatch) is ignored and rewritten. The cache never
// makes a run fail: when it cannot be written the run goes on with a
// warning.
type OSMCache struct {
	Dir string
	// MaxBytes bounds the entries' total size; the least recently used
	// go first (DefaultOSMCacheBytes when 0).
	MaxBytes int64
	// Warn reports entries that could not be read or written; nil = quiet.
	Warn func(format string, args ...any)
}

// DefaultOSMCacheBytes is the default bound of an OSMCache's entries.
const DefaultOSMCacheBytes = 4 << 30

// osmCacheMagic starts an entry; the digit is the entry format's version.
const osmCacheMagic = "LCOSMC2\n"

// DefaultOSMCache returns the cache the commands use: the directory in
// LIFECIRCLE_CACHE_DIR, else lifecircle/osm in the user's cache directory
// (~/.cache on Linux); nil (no cache) when LIFECIRCLE_CACHE is "off", "0"
// or "no", or no cache directory is known. warn gets its warnings.
func DefaultOSMCache(warn func(format string, args ...any)) *OSMCache {
	switch strings.ToLower(os.Getenv("LIFECIRCLE_CACHE")) {
	case "off", "0", "no", "false":
		return nil
	}
	dir := os.Getenv("LIFECIRCLE_CACHE_DIR")
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil
		}
		dir = filepath.Join(base, "lifecircle")
	}
	return &OSMCache{Dir: filepath.Join(dir, "osm"), Warn: warn}
}

// CacheNote is what a step's line adds when its input came from the cache
// entry named entry ("" when it was read).
func CacheNote(entry string) string {
	if entry == "" {
		return ""
	}
	return "; from the cache 来自缓存"
}

var exeID = sync.OnceValue(func() string {
	p, err := os.Executable()
	if err != nil {
		return "unknown"
	}
	st, err := os.Stat(p)
	if err != nil {
		return p
	}
	return fmt.Sprintf("%s\x00%d\x00%d", p, st.Size(), st.ModTime().UnixNano())
})

// key names the entry of path read for what (a description of what was
// taken from it): the hash of the extract's bytes and of everything else
// the result depends on.
func (c *OSMCache) key(path, what string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", osmCacheMagic, exeID(), filepath.Base(path), what)
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)[:20]), nil
}

// osmCacheMeta is what an entry holds besides the network.
type osmCacheMeta struct {
	NetInfo          NetworkInfo
	Facilities       []planner.Facility
	Buildings        []planner.Building
	ResidentialAreas []orb.Geometry
	Warnings         []string
	IgnoredDates     int
}

func init() {
	for _, g := range []orb.Geometry{orb.Point{}, orb.MultiPoint{}, orb.LineString{}, orb.MultiLineString{},
		orb.Ring{}, orb.Polygon{}, orb.MultiPolygon{}, orb.Collection{}, orb.Bound{}} {
		gob.Register(g)
	}
}

// load returns the entry named key, or nil when there is none or it does
// not read back (then it is removed).
func (c *OSMCache) load(key string) (*OSMInputs, string) {
	path := filepath.Join(c.Dir, key+".lcosm")
	f, err := os.Open(path)
	if err != nil {
		return nil, ""
	}
	in, err := decodeOSMEntry(f)
	f.Close()
	if err != nil {
		c.warn("cache entry %s could not be read (%v): reading the extract again and replacing it", path, err)
		os.Remove(path)
		return nil, ""
	}
	now := time.Now()
	os.Chtimes(path, now, now) // recently used: kept longest
	return in, path
}

// decodeOSMEntry reads an entry straight into the network's arrays (no
// copy of the whole file), checking its CRC before anything is returned.
func decodeOSMEntry(f *os.File) (*OSMInputs, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size < int64(len(osmCacheMagic))+4 {
		return nil, errors.New("too short")
	}
	cr := &crcReader{r: bufio.NewReaderSize(f, 1<<16)}
	magic := make([]byte, len(osmCacheMagic))
	if _, err := io.ReadFull(cr, magic); err != nil || string(magic) != osmCacheMagic {
		return nil, errors.New("not a lifecircle cache entry of this version")
	}
	net, err := geo.ReadOwnIndexedNetwork(cr, size-cr.n-4)
	if err != nil {
		return nil, err
	}
	rest := size - cr.n - 4
	if rest < 0 || rest > size {
		return nil, errors.New("truncated")
	}
	meta := make([]byte, rest)
	if _, err := io.ReadFull(cr, meta); err != nil {
		return nil, err
	}
	var sum [4]byte
	if _, err := io.ReadFull(cr.r, sum[:]); err != nil {
		return nil, err
	}
	if cr.sum != binary.LittleEndian.Uint32(sum[:]) {
		return nil, errors.New("checksum mismatch")
	}
	var m osmCacheMeta
	if err := gob.NewDecoder(bytes.NewReader(meta)).Decode(&m); err != nil {
		return nil, err
	}
	return &OSMInputs{Net: net, NetInfo: m.NetInfo, Facilities: m.Facilities, Buildings: m.Buildings,
		ResidentialAreas: m.ResidentialAreas, Warnings: m.Warnings, IgnoredDates: m.IgnoredDates}, nil
}

// crcReader counts and checksums what is read through it.
type crcReader struct {
	r   io.Reader
	n   int64
	sum uint32
}

func (c *crcReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.sum = crc32.Update(c.sum, castagnoli, p[:k])
	c.n += int64(k)
	return k, err
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// cacheWrites are the entries being written in the background.
var cacheWrites sync.WaitGroup

// WaitOSMCache waits until the entries being written are on disk (or
// given up); commands call it before they exit.
func WaitOSMCache() { cacheWrites.Wait() }

// store writes in as the entry named key (whole, or not at all) in the
// background (WaitOSMCache waits for it), then trims the cache to
// MaxBytes. What the caller may change later (the facilities, buildings)
// is encoded before store returns; the network is never changed once
// built.
func (c *OSMCache) store(key string, in *OSMInputs) {
	var meta bytes.Buffer
	m := osmCacheMeta{NetInfo: in.NetInfo, Facilities: in.Facilities, Buildings: in.Buildings,
		ResidentialAreas: in.ResidentialAreas, Warnings: in.Warnings, IgnoredDates: in.IgnoredDates}
	if err := gob.NewEncoder(&meta).Encode(&m); err != nil {
		c.warn("cannot keep the extract in the cache: %v", err)
		return
	}
	net := in.Net
	cacheWrites.Add(1)
	go func() {
		defer cacheWrites.Done()
		if err := c.write(key, net, meta.Bytes()); err != nil {
			c.warn("cannot keep the extract in the cache %s: %v (the run goes on; LIFECIRCLE_CACHE=off turns the cache off)", c.Dir, err)
			return
		}
		c.trim()
	}()
}

func (c *OSMCache) write(key string, net *geo.Network, meta []byte) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	return writeCacheFile(filepath.Join(c.Dir, key+".lcosm"), func(w io.Writer) error {
		cw := &crcWriter{w: w}
		if _, err := io.WriteString(cw, osmCacheMagic); err != nil {
			return err
		}
		if err := geo.WriteIndexedNetwork(cw, net); err != nil {
			return err
		}
		if _, err := cw.Write(meta); err != nil {
			return err
		}
		return binary.Write(w, binary.LittleEndian, cw.sum)
	})
}

// writeCacheFile writes path via a temporary file and a rename, without
// WriteFileAtomic's fsync: an entry lost or torn by a crash is only a
// miss (its CRC fails), and syncing hundreds of megabytes would cost more
// than the cache saves.
func writeCacheFile(path string, write func(w io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	track(tmp)
	defer untrack(tmp)
	bw := bufio.NewWriterSize(f, 1<<20)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

type crcWriter struct {
	w   io.Writer
	sum uint32
}

func (c *crcWriter) Write(p []byte) (int, error) {
	c.sum = crc32.Update(c.sum, castagnoli, p)
	return c.w.Write(p)
}

// trim removes the least recently used entries until the rest fit
// MaxBytes.
func (c *OSMCache) trim() {
	max := c.MaxBytes
	if max <= 0 {
		max = DefaultOSMCacheBytes
	}
	ents, err := os.ReadDir(c.Dir)
	if err != nil {
		return
	}
	type entry struct {
		path string
		size int64
		used time.Time
	}
	var all []entry
	var total int64
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-") { // left by a killed run
			if st, err := e.Info(); err == nil && time.Since(st.ModTime()) > time.Hour {
				os.Remove(filepath.Join(c.Dir, e.Name()))
			}
			continue
		}
		if !strings.HasSuffix(e.Name(), ".lcosm") {
			continue
		}
		if st, err := e.Info(); err == nil {
			all = append(all, entry{filepath.Join(c.Dir, e.Name()), st.Size(), st.ModTime()})
			total += st.Size()
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].used.Before(all[j].used) })
	for i := 0; total > max && i < len(all)-1; i++ { // the newest entry stays
		if os.Remove(all[i].path) == nil {
			total -= all[i].size
		}
	}
}

func (c *OSMCache) warn(format string, args ...any) {
	if c.Warn != nil {
		c.Warn(format, args...)
	}
}

// cached returns what read gives for path, from c's entry for what when
// there is one, else from read (then kept in c). c may be nil (no cache).
// fromCache names the entry used, "" when read ran.
func (c *OSMCache) cached(path, what string, read func() (*OSMInputs, error)) (in *OSMInputs, fromCache string, err error) {
	if c == nil || c.Dir == "" {
		in, err = read()
		return in, "", err
	}
	key, err := c.key(path, what)
	if err != nil {
		in, err = read() // read names the file in its error
		return in, "", err
	}
	if in, p := c.load(key); in != nil {
		return in, p, nil
	}
	if in, err = read(); err != nil {
		return nil, "", err
	}
	c.store(key, in)
	return in, "", nil
}
