package cover

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteLP writes the maximal covering model of p with k sites in CPLEX LP
// format, for checking proposals with an external MIP solver (CBC, GLPK,
// HiGHS, CPLEX):
//
//	maximize   Σ_i w_i y_i
//	subject to y_i − Σ_{j covers i} x_j ≤ 0   for every item i
//	           Σ_j x_j ≤ k
//	           x, y binary
//
// x<j> is candidate j and y<i> item i, both by their index in p. Fixed items,
// items of zero weight and items no candidate covers are left out: they
// cannot change the optimum. The site count is "≤ k", which has the same
// optimum as "= k" because an extra site never lowers coverage, and stays
// feasible when k exceeds the candidates. names, when not nil, holds one
// label per candidate for the comment header.
func WriteLP(w io.Writer, p *Problem, k int, names []string) error {
	if k <= 0 {
		return fmt.Errorf("write lp: number of sites k = %d: ask for at least 1 site", k)
	}
	c, err := newCoverInst(p)
	if err != nil {
		return fmt.Errorf("write lp: %w", err)
	}
	if names != nil && len(names) != c.nCand {
		return fmt.Errorf("write lp: %d names for %d candidates: give one name per candidate or nil", len(names), c.nCand)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "\\ lifecircle maximal covering model (MCLP): choose at most %d of %d candidate sites\n", k, c.nCand)
	fmt.Fprintf(bw, "\\ %d items of %d kept (fixed, zero-weight and uncoverable items left out), coverable weight %s\n",
		c.nItem, len(p.Weights), lpNum(c.coverable))
	fmt.Fprintf(bw, "\\ x<j> = 1: candidate j is chosen; y<i> = 1: item i is covered\n")
	for j, n := range names {
		fmt.Fprintf(bw, "\\ x%d = %s\n", j, lpComment(n))
	}

	line := lpLine{w: bw}
	bw.WriteString("Maximize\n obj:")
	if c.nItem == 0 {
		// An empty objective is not valid LP: state the zero explicitly.
		bw.WriteString(" 0 x0")
	}
	for i, wt := range c.w {
		sign := " +"
		if i == 0 {
			sign = ""
		}
		line.term(fmt.Sprintf("%s %s y%d", sign, lpNum(wt), c.orig[i]))
	}
	line.end()

	bw.WriteString("Subject To\n")
	for i := 0; i < c.nItem; i++ {
		fmt.Fprintf(bw, " c%d: y%d", c.orig[i], c.orig[i])
		line.n = 1
		for _, j := range c.invIdx[c.invOff[i]:c.invOff[i+1]] {
			line.term(fmt.Sprintf(" - x%d", j))
		}
		bw.WriteString(" <= 0")
		line.end()
	}
	bw.WriteString(" sites:")
	for j := 0; j < c.nCand; j++ {
		sign := " +"
		if j == 0 {
			sign = ""
		}
		line.term(fmt.Sprintf("%s x%d", sign, j))
	}
	fmt.Fprintf(bw, " <= %d", k)
	line.end()

	bw.WriteString("Binaries\n")
	for j := 0; j < c.nCand; j++ {
		line.term(fmt.Sprintf(" x%d", j))
	}
	line.end()
	for i := 0; i < c.nItem; i++ {
		line.term(fmt.Sprintf(" y%d", c.orig[i]))
	}
	line.end()
	bw.WriteString("End\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write lp: %w", err)
	}
	return nil
}

// lpLine wraps long rows: some LP readers limit line length.
type lpLine struct {
	w *bufio.Writer
	n int
}

func (l *lpLine) term(s string) {
	if l.n == 10 {
		l.w.WriteString("\n  ")
		l.n = 0
	}
	l.w.WriteString(s)
	l.n++
}

func (l *lpLine) end() {
	l.w.WriteString("\n")
	l.n = 0
}

// lpNum formats a coefficient exactly, without exponent when integral.
func lpNum(v float64) string {
	if v == float64(int64(v)) && v < 1e15 && v > -1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// lpComment keeps a name on its comment line.
func lpComment(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
