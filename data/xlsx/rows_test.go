package xlsx

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// excelizeWorkbook is the workbook as excelize alone writes it: every row
// through its StreamWriter (the way Write worked before rows.go), entries
// then sorted like writeWorkbook's. It is the reference the spliced
// workbook must equal byte for byte.
func excelizeWorkbook(t testing.TB, sheets []Sheet) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		t.Fatal(err)
	}
	quoted, err := quotePrefixStyle(f)
	if err != nil {
		t.Fatal(err)
	}
	first := f.GetSheetName(0)
	for i, s := range sheets {
		if i == 0 {
			err = f.SetSheetName(first, s.Name)
		} else {
			_, err = f.NewSheet(s.Name)
		}
		if err != nil {
			t.Fatal(err)
		}
		sw, err := f.NewStreamWriter(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		widths, err := columnWidths(s)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range widths {
			if err := sw.SetColWidth(i+1, i+1, float64(min(max(w+2, minWidth), maxWidth))); err != nil {
				t.Fatal(err)
			}
		}
		if len(s.Header) > 0 {
			if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
				t.Fatal(err)
			}
		}
		head := make([]any, len(s.Header))
		for i, h := range s.Header {
			head[i] = excelize.Cell{StyleID: bold, Value: h}
			if formulaLike(h) {
				head[i] = excelize.Cell{StyleID: quoted, Value: h}
			}
		}
		if err := sw.SetRow("A1", head, excelize.RowOpts{StyleID: bold}); err != nil {
			t.Fatal(err)
		}
		for r, row := range s.Rows {
			out := make([]any, len(row))
			for i, v := range row {
				c, err := cellValue(v)
				if err != nil {
					t.Fatal(err)
				}
				if str, ok := c.(string); ok && formulaLike(str) {
					c = excelize.Cell{StyleID: quoted, Value: str}
				}
				out[i] = c
			}
			ref, _ := excelize.CoordinatesToCellName(1, r+2)
			if err := sw.SetRow(ref, out); err != nil {
				t.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	f.SetActiveSheet(0)
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := copySorted(&out, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

var oddTexts = []string{
	"", " lead", "trail ", "\ttab", "line\nbreak", "cr\r", "a&b", "<tag>", `"q"`, "it's",
	"_x0041_", "a_x005F_x0041_b", "_x005F_", "_xZZZZ_", "x_x", "北京邮电大学社区", "=1+2", "+1", "-2",
	"@SUM(A1)", "\x01ctl", "\uFFFE", "emoji 😀", "250m_E116N40_-24_-207", strings.Repeat("长", 70),
}

var oddNumbers = []float64{0, -0.0, 1, -1, 0.1, 0.1 + 0.2, 1e-7, 123456789012345678, 1e20, -1e21,
	1.0 / 3, 2.5, 99.95, 1e15 + 0.3, math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64,
	math.NaN(), math.Inf(1), 12034, 0.8125}

func randomSheet(r *rand.Rand, name string, rows, cols int) Sheet {
	s := Sheet{Name: name}
	for c := 0; c < cols; c++ {
		s.Header = append(s.Header, oddTexts[r.Intn(len(oddTexts))]+fmt.Sprint(c))
	}
	for range rows {
		row := make([]any, r.Intn(cols+1))
		for i := range row {
			switch r.Intn(9) {
			case 0:
				row[i] = nil
			case 1:
				row[i] = oddTexts[r.Intn(len(oddTexts))]
			case 2:
				row[i] = r.Intn(2) == 0
			case 3:
				row[i] = r.Intn(1e6) - 5e5
			case 4:
				row[i] = int64(r.Int63()) - 1<<62
			case 5:
				row[i] = uint8(r.Intn(256))
			case 6:
				row[i] = float32(r.NormFloat64())
			case 7:
				row[i] = oddNumbers[r.Intn(len(oddNumbers))]
			default:
				row[i] = math.Round(r.NormFloat64()*1e4) / 10
			}
		}
		s.Rows = append(s.Rows, row)
	}
	return s
}

// sameParts reports how zip archives got and want differ in their entries
// (names and order, method, unzipped bytes): the sheets with rows are
// compressed by another deflate than excelize's, so the zip bytes differ
// but nothing a reader sees may.
func sameParts(got, want []byte) error {
	g, err := zip.NewReader(bytes.NewReader(got), int64(len(got)))
	if err != nil {
		return fmt.Errorf("not a zip archive: %w", err)
	}
	w, err := zip.NewReader(bytes.NewReader(want), int64(len(want)))
	if err != nil {
		return err
	}
	if len(g.File) != len(w.File) {
		return fmt.Errorf("%d entries, want %d", len(g.File), len(w.File))
	}
	for i, gf := range g.File {
		wf := w.File[i]
		if gf.Name != wf.Name || gf.Method != wf.Method || gf.Modified != wf.Modified || gf.CRC32 != wf.CRC32 || gf.UncompressedSize64 != wf.UncompressedSize64 {
			return fmt.Errorf("entry %d: %s (method %d, CRC %08x, %d bytes), want %s (method %d, CRC %08x, %d bytes)",
				i, gf.Name, gf.Method, gf.CRC32, gf.UncompressedSize64, wf.Name, wf.Method, wf.CRC32, wf.UncompressedSize64)
		}
		gb, err := readEntry(gf)
		if err != nil {
			return err
		}
		wb, err := readEntry(wf)
		if err != nil {
			return err
		}
		if !bytes.Equal(gb, wb) {
			return fmt.Errorf("%s: unzipped bytes differ (%d bytes, want %d)", gf.Name, len(gb), len(wb))
		}
	}
	return nil
}

// readEntry unzips zf, checking its CRC-32 and length.
func readEntry(zf *zip.File) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", zf.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", zf.Name, err)
	}
	return b, nil
}

// TestWorkbookMatchesExcelize: the spliced workbook's parts, unzipped,
// are byte for byte those excelize writes alone, for odd texts and
// numbers, short rows, sheets without rows and a sheet of many chunks
// and of several compressed pieces.
func TestWorkbookMatchesExcelize(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	cases := map[string][]Sheet{
		"sample": sampleSheets(),
		"random": {randomSheet(r, "a", 300, 7), {Name: "empty", Header: []string{"x"}}, randomSheet(r, "b", 3, 40)},
		"chunks": {randomSheet(r, "big", 3*rowsPerChunk+17, 12), {Name: "noheader", Rows: [][]any{{}, {}}}},
		"pieces": {randomSheet(r, "big", 60000, 12)},
	}
	for name, sheets := range cases {
		t.Run(name, func(t *testing.T) {
			want := excelizeWorkbook(t, sheets)
			var got bytes.Buffer
			if err := WriteTo(&got, sheets); err != nil {
				t.Fatal(err)
			}
			if err := sameParts(got.Bytes(), want); err != nil {
				t.Fatalf("workbook differs from excelize's: %v", err)
			}
		})
	}
}

// FuzzRowsMatchExcelize compares one row of a text, a number and an
// integer with excelize's encoding of it, whole workbook.
func FuzzRowsMatchExcelize(f *testing.F) {
	for i, s := range oddTexts {
		f.Add(s, oddNumbers[i%len(oddNumbers)], int64(i)-3)
	}
	f.Fuzz(func(t *testing.T, s string, x float64, n int64) {
		sheets := []Sheet{{Name: "s", Header: []string{"t", "x", "n"}, Rows: [][]any{{s, x, n}, {n, s}}}}
		if checkSheets(sheets) != nil {
			return
		}
		if _, err := columnWidths(sheets[0]); err != nil {
			return
		}
		want := excelizeWorkbook(t, sheets)
		var got bytes.Buffer
		if err := WriteTo(&got, sheets); err != nil {
			t.Fatal(err)
		}
		if err := sameParts(got.Bytes(), want); err != nil {
			t.Fatalf("%q %v %d: workbook differs from excelize's: %v", s, x, n, err)
		}
	})
}

func BenchmarkWriteWorkbook(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	sheets := []Sheet{randomSheet(r, "units", 20000, 35)}
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := WriteTo(&buf, sheets); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

// TestTextWidthMatchesFmt: the widths of numbers are those of fmt's
// %.6g and %v, which set the column widths before.
func TestTextWidthMatchesFmt(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 100000; i++ {
		x := oddNumbers[i%len(oddNumbers)]
		if i >= len(oddNumbers) {
			x = math.Ldexp(r.NormFloat64(), r.Intn(200)-100)
		}
		if got, want := textWidth(x), len(fmt.Sprintf("%.6g", x)); got != want {
			t.Fatalf("textWidth(%v) = %d, fmt says %d", x, got, want)
		}
		n := int(r.Int63()) >> r.Intn(64)
		if got, want := textWidth(n), len(fmt.Sprint(n)); got != want {
			t.Fatalf("textWidth(%d) = %d, fmt says %d", n, got, want)
		}
	}
}

// BenchmarkWriteWorkbookExcelize is BenchmarkWriteWorkbook's sheet
// written by excelize alone (the way before rows.go), for comparison.
func BenchmarkWriteWorkbookExcelize(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	sheets := []Sheet{randomSheet(r, "units", 20000, 35)}
	b.ReportAllocs()
	for b.Loop() {
		b.SetBytes(int64(len(excelizeWorkbook(b, sheets))))
	}
}
