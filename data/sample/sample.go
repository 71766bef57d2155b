package sample

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

//go:embed helsinki.osm.pbf
var helsinki []byte

// Name describes the sample for summaries.
const Name = "Helsinki (bundled sample, OSM 2019-04, © OpenStreetMap contributors)"

// SourceName names the sample extract in its facilities' source (the
// file it is written to carries a checksum in its name).
const SourceName = "helsinki.osm.pbf (bundled sample)"

// OSMFile returns the path of the sample extract, written once to the
// user's cache (or temp) directory, since the OSM reader streams from files.
func OSMFile() (string, error) {
	sum := sha256.Sum256(helsinki)
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "lifecircle")
	path := filepath.Join(dir, "helsinki-"+hex.EncodeToString(sum[:6])+".osm.pbf")
	if st, err := os.Stat(path); err == nil && st.Size() == int64(len(helsinki)) {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("sample: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".helsinki-*.tmp")
	if err != nil {
		return "", fmt.Errorf("sample: %w", err)
	}
	if _, err := tmp.Write(helsinki); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", fmt.Errorf("sample: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("sample: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("sample: %w", err)
	}
	return path, nil
}
