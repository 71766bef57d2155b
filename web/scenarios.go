package web

import (
	"cmp"
	"container/list"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
)

// Bounds on what editors send.
const (
	maxTextLen       = 200     // edit ids, types, names, authors: characters
	maxLayerFeatures = 100_000 // facilities one dropped layer may add
	maxClients       = 2_000   // clients whose undo stacks are kept
	maxClientSteps   = 1_000   // undo (and redo) steps kept per client
)

// Files of a saved workspace scenario (see data.WorkspaceScenarios).
const (
	scenarioJSONFile = data.ScenarioJSONFile
	scenarioGeoFile  = data.ScenarioGeoFile
)

// checkText refuses text with control characters (NUL, line breaks…),
// invalid UTF-8 or more than max characters, before it reaches the
// scenario, a saved file or the database.
func checkText(field, v string, max int) error {
	switch {
	case !utf8.ValidString(v):
		return badRequestL(fmt.Sprintf("%s is not valid UTF-8 text", field), fmt.Sprintf("%s 不是有效的 UTF-8 文本", field))
	case strings.ContainsFunc(v, unicode.IsControl):
		return badRequestL(
			fmt.Sprintf("%s %q holds a control character (NUL, line break, tab…): use letters, digits, spaces and punctuation", field, shorten(v, 40)),
			fmt.Sprintf("%s %q 含控制字符（NUL、换行、制表符等）：请只用文字、数字、空格和标点", field, shorten(v, 40)))
	case utf8.RuneCountInString(v) > max:
		return badRequestL(
			fmt.Sprintf("%s is %d characters long, at most %d are accepted", field, utf8.RuneCountInString(v), max),
			fmt.Sprintf("%s 长 %d 个字符，最多 %d 个", field, utf8.RuneCountInString(v), max))
	}
	return nil
}

// checkScenarioName is data.ValidateScenarioName with a message in the
// client's language.
func checkScenarioName(name string) error {
	if err := data.ValidateScenarioName(name); err != nil {
		n := utf8.RuneCountInString(name)
		switch {
		case strings.TrimSpace(name) == "":
			return badRequestL("give the scenario a name (1 to 64 characters, any language)", "请为情景命名（1 至 64 个字符，可用中文）")
		case !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
			return badRequestL(
				fmt.Sprintf("scenario name %q holds a control character (line break, tab, NUL…): use letters, digits, spaces and punctuation", shorten(name, 40)),
				fmt.Sprintf("情景名称 %q 含控制字符（换行、制表符、NUL 等）：请只用文字、数字、空格和标点", shorten(name, 40)))
		case n > data.MaxScenarioName:
			return badRequestL(
				fmt.Sprintf("scenario name is %d characters long: at most %d", n, data.MaxScenarioName),
				fmt.Sprintf("情景名称长 %d 个字符：最多 %d 个", n, data.MaxScenarioName))
		}
		return badRequest("%s", err)
	}
	return nil
}

// clientID is the X-Client-Id of a request: the page makes one per tab
// and sends it with every edit, so that each has its own undo and redo.
// Clients that send none share one stack.
func clientID(r *http.Request) (string, error) {
	id := r.Header.Get("X-Client-Id")
	if len(id) > 64 || strings.ContainsFunc(id, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_')
	}) {
		return "", badRequest("X-Client-Id %q: give up to 64 letters, digits, - or _", shorten(id, 40))
	}
	return id, nil
}

// clientStacks keeps each client's undo and redo steps; a step is the
// edits of one request (one edit, or a dropped layer). The least recently
// active clients are forgotten beyond maxClients. Guarded by Server.editMu.
type clientStacks struct {
	byID  map[string]*list.Element
	order *list.List // of *clientState, most recent first
}

type clientState struct {
	id         string
	undo, redo [][]planner.Edit
}

func newClientStacks() *clientStacks {
	return &clientStacks{byID: map[string]*list.Element{}, order: list.New()}
}

func (c *clientStacks) get(id string) *clientState {
	if el, ok := c.byID[id]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*clientState)
	}
	st := &clientState{id: id}
	c.byID[id] = c.order.PushFront(st)
	for c.order.Len() > maxClients {
		last := c.order.Back()
		delete(c.byID, last.Value.(*clientState).id)
		c.order.Remove(last)
	}
	return st
}

// peek returns a client's state without creating it.
func (c *clientStacks) peek(id string) *clientState {
	if el, ok := c.byID[id]; ok {
		return el.Value.(*clientState)
	}
	return &clientState{id: id}
}

// did records a new step of client id: undoable, and the end of its redos.
func (c *clientStacks) did(id string, edits []planner.Edit) {
	st := c.get(id)
	st.undo = pushStep(st.undo, edits)
	st.redo = nil
}

func pushStep(stack [][]planner.Edit, step []planner.Edit) [][]planner.Edit {
	if len(stack) >= maxClientSteps {
		stack = append(stack[:0], stack[1:]...)
	}
	return append(stack, step)
}

// clear forgets every client's steps (after a reset or an open).
func (c *clientStacks) clear() {
	c.byID = map[string]*list.Element{}
	c.order.Init()
}

// undo reverts client's last step; call it under editMu.
func (s *Server) undo(client string) (*planner.Change, error) {
	st := s.clients.get(client)
	if len(st.undo) == 0 {
		return nil, badRequestL("nothing to undo: you have no edits left in this scenario (other planners' edits are theirs to undo)",
			"没有可撤销的修改：本情景中已没有您的修改（其他规划师的修改只能由他们撤销）")
	}
	step := st.undo[len(st.undo)-1]
	seqs := make([]int64, len(step))
	for i, e := range step {
		seqs[i] = e.Seq
	}
	ch, err := s.sc.RevertEdits(seqs)
	if errors.Is(err, planner.ErrNotFound) {
		st.undo = st.undo[:len(st.undo)-1]
		return nil, &apiError{kind: planner.ErrConflict, msg: "that edit is no longer in the scenario (it was reset or another scenario was opened)", zh: "该修改已不在情景中（情景已重置或已打开其他情景）"}
	}
	if err != nil {
		return nil, err
	}
	st.undo = st.undo[:len(st.undo)-1]
	st.redo = pushStep(st.redo, step)
	return ch, nil
}

// redo applies client's last undone step again; call it under editMu.
func (s *Server) redo(client string) (*planner.Change, error) {
	st := s.clients.get(client)
	if len(st.redo) == 0 {
		return nil, badRequestL("nothing to redo", "没有可重做的修改")
	}
	step := st.redo[len(st.redo)-1]
	again := make([]planner.Edit, len(step))
	for i, e := range step {
		again[i] = planner.Edit{Op: e.Op, ID: e.ID, Type: e.Type, Name: e.Name, Geometry: e.Geometry, Author: e.Author}
		if e.Op == "remove" {
			again[i].Type, again[i].Geometry = "", nil
		}
	}
	var ch *planner.Change
	var applied []planner.Edit
	var err error
	if len(again) == 1 {
		ch, err = s.sc.Apply(again[0])
		if err == nil {
			applied = []planner.Edit{ch.Edit}
		}
	} else {
		ch, applied, err = s.sc.ApplyAdds(again)
	}
	if err != nil {
		return nil, err
	}
	st.redo = st.redo[:len(st.redo)-1]
	st.undo = pushStep(st.undo, applied)
	return ch, nil
}

// scenarioState says what the live scenario is: its name (empty until
// named or saved), its edits, whether it is the baseline (no edits), and
// the asking client's undo and redo steps.
type scenarioState struct {
	Name     string `json:"name"`
	Edits    int    `json:"edits"`
	Baseline bool   `json:"baseline"`
	Saved    bool   `json:"saved"` // no edit since the last save or open
	Undo     int    `json:"undo"`
	Redo     int    `json:"redo"`
}

// stateLocked returns the scenario's state for client; call it under
// editMu.
func (s *Server) stateLocked(client string) scenarioState {
	n := len(s.sc.History())
	st := s.clients.peek(client)
	return scenarioState{Name: s.scName, Edits: n, Baseline: n == 0, Saved: s.scSavedAt == s.editStamp(n),
		Undo: len(st.undo), Redo: len(st.redo)}
}

// editStamp identifies the scenario's edits for "saved": the number of
// edits and the sequence number of the last one.
func (s *Server) editStamp(n int) string {
	h := s.sc.History()
	if len(h) == 0 {
		return "0"
	}
	return fmt.Sprintf("%d/%d", n, h[len(h)-1].Seq)
}

func (s *Server) handleScenarioState(w http.ResponseWriter, r *http.Request) {
	client, err := clientID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.editMu.Lock()
	st := s.stateLocked(client)
	s.editMu.Unlock()
	writeJSON(w, http.StatusOK, mimeJSON, st)
}

type nameRequest struct {
	Name   string `json:"name"`
	Author string `json:"author,omitempty"` // who saves it (team mode)
}

// namedRequest decodes a request that names a scenario, checks the name
// and the client id, and answers the error itself (ok false).
func (s *Server) namedRequest(w http.ResponseWriter, r *http.Request) (req nameRequest, client string, ok bool) {
	if err := decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return req, "", false
	}
	client, err := clientID(r)
	if err == nil {
		err = checkScenarioName(req.Name)
	}
	if err != nil {
		s.fail(w, r, err)
		return req, "", false
	}
	return req, client, true
}

// handleScenarioName names the live scenario (a new scenario starts from
// the current edits; reset first to start from the baseline).
func (s *Server) handleScenarioName(w http.ResponseWriter, r *http.Request) {
	req, client, ok := s.namedRequest(w, r)
	if !ok {
		return
	}
	s.editMu.Lock()
	s.scName = req.Name
	st := s.stateLocked(client)
	s.editMu.Unlock()
	writeJSON(w, http.StatusOK, mimeJSON, st)
}

// handleReset reverts every edit (everyone's): the baseline again. The
// name stays; every client's undo and redo steps go.
func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	client, err := clientID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.editMu.Lock()
	n, err := s.sc.Reset()
	if err != nil {
		s.editMu.Unlock()
		s.fail(w, r, err)
		return
	}
	s.clients.clear()
	out := map[string]any{"reverted": n, "scenario": s.stateLocked(client), "summary": s.currentSummary()}
	s.editMu.Unlock()
	s.log.Info("scenario reset", "edits", n)
	writeJSON(w, http.StatusOK, mimeJSON, out)
}

func (s *Server) handleSave(w http.ResponseWriter, r *http.Request) {
	var req nameRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkScenarioName(req.Name); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkText("author", req.Author, maxTextLen); err != nil {
		s.fail(w, r, err)
		return
	}
	// Saves run one at a time, each writing the snapshot it took: two
	// saves of one name never interleave, and the later snapshot is the
	// one left in the store.
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.editMu.Lock()
	history := s.sc.History()
	stamp := s.editStamp(len(history))
	sc := &data.SavedScenario{Name: req.Name, Author: req.Author, Version: s.cfg.Version, Profile: s.profile, Edits: history}
	var sum summaryDoc
	s.sc.View(func(in planner.AuditInput, res *planner.AuditResult, active []bool) {
		for i, f := range in.Facilities {
			if active[i] {
				sc.Facilities = append(sc.Facilities, f)
			}
		}
		sum = s.summary(in, res)
	})
	s.editMu.Unlock()
	sum.Edits = len(history)
	sc.Summary = sum

	where, err := s.store.Save(r.Context(), sc)
	if err != nil {
		s.fail(w, r, fmt.Errorf("save scenario: %w", err))
		return
	}
	s.editMu.Lock()
	s.scName, s.scSavedAt = req.Name, stamp
	s.editMu.Unlock()
	s.compare.forget(req.Name)
	s.log.Info("scenario saved", "name", req.Name, "to", where, "edits", len(history), "facilities", len(sc.Facilities))
	out := map[string]any{"saved": []string{where}, "name": req.Name, "edits": len(history), "facilities": len(sc.Facilities)}
	if strings.HasSuffix(where, "/") {
		out["saved"] = []string{where + scenarioJSONFile, where + scenarioGeoFile}
		out["facilities_sha256"] = sc.Stamp
	}
	writeJSON(w, http.StatusOK, mimeJSON, out)
}

func (s *Server) handleListScenarios(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.List(r.Context())
	if err != nil {
		s.fail(w, r, fmt.Errorf("list scenarios: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, mimeJSON, map[string]any{"scenarios": list})
}

// handleOpen replaces the live scenario's edits by those of a saved one,
// applied to the baseline.
func (s *Server) handleOpen(w http.ResponseWriter, r *http.Request) {
	req, client, ok := s.namedRequest(w, r)
	if !ok {
		return
	}
	saved, err := s.store.Open(r.Context(), req.Name)
	if err != nil {
		s.fail(w, r, fmt.Errorf("open scenario: %w", err))
		return
	}
	s.editMu.Lock()
	defer s.editMu.Unlock()
	if _, err := s.sc.Reset(); err != nil {
		s.fail(w, r, err)
		return
	}
	s.clients.clear()
	for k, e := range saved.Edits {
		again := planner.Edit{Op: e.Op, ID: e.ID, Type: e.Type, Name: e.Name, Geometry: e.Geometry, At: e.At, Author: e.Author}
		if e.Op == "remove" {
			again.Type, again.Geometry = "", nil
		}
		if _, err := s.sc.Apply(again); err != nil {
			_, _ = s.sc.Reset()
			s.scName = ""
			s.fail(w, r, &apiError{kind: planner.ErrConflict,
				msg: fmt.Sprintf("scenario %q: edit %d (%s %s) does not apply to this server's inputs: %s; the map shows the baseline", req.Name, k+1, e.Op, shorten(e.ID, 40), strings.TrimPrefix(err.Error(), "scenario: ")),
				zh:  fmt.Sprintf("情景 %q 的第 %d 处修改（%s %s）不适用于本服务的输入数据：%s；地图显示基线", req.Name, k+1, e.Op, shorten(e.ID, 40), strings.TrimPrefix(err.Error(), "scenario: "))})
			return
		}
	}
	s.scName = req.Name
	s.scSavedAt = s.editStamp(len(saved.Edits))
	out := map[string]any{"scenario": s.stateLocked(client), "summary": s.currentSummary()}
	s.log.Info("scenario opened", "name", req.Name, "edits", len(saved.Edits))
	writeJSON(w, http.StatusOK, mimeJSON, out)
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	var req nameRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkScenarioName(req.Name); err != nil {
		s.fail(w, r, err)
		return
	}
	s.saveMu.Lock()
	err := s.store.Delete(r.Context(), req.Name)
	s.saveMu.Unlock()
	if err != nil {
		s.fail(w, r, fmt.Errorf("delete scenario: %w", err))
		return
	}
	s.editMu.Lock()
	if s.scName == req.Name {
		s.scSavedAt = "" // the live edits are no longer saved anywhere
	}
	s.editMu.Unlock()
	s.compare.forget(req.Name)
	s.log.Info("scenario deleted", "name", req.Name)
	writeJSON(w, http.StatusOK, mimeJSON, map[string]any{"deleted": req.Name})
}

// ----- compare -----

// figures are the covered residents of one side of a comparison: per
// type, and per unit and type.
type figures struct {
	covered []float64
	units   [][]float64
}

func figuresOf(res *planner.AuditResult) *figures {
	f := &figures{covered: make([]float64, len(res.Types)), units: make([][]float64, len(res.Units))}
	for t, ts := range res.Types {
		f.covered[t] = ts.Covered
	}
	for u, ur := range res.Units {
		f.units[u] = append([]float64(nil), ur.Covered...)
	}
	return f
}

// compareCache keeps the figures of saved scenarios (an audit each),
// newest first, a few at a time.
type compareCache struct {
	mu      sync.Mutex // held while an audit runs: one at a time
	entries []compareEntry
}

type compareEntry struct {
	name  string
	saved time.Time
	fig   *figures
}

func (c *compareCache) forget(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := 0
	for _, e := range c.entries {
		if e.name != name {
			c.entries[k] = e
			k++
		}
	}
	c.entries = c.entries[:k]
}

// side returns the figures of "baseline", "current" (the live scenario)
// or a saved scenario's name, and its label.
func (s *Server) side(r *http.Request, name string) (*figures, error) {
	switch name {
	case "baseline":
		return s.baseFig, nil
	case "current":
		var f *figures
		s.sc.View(func(_ planner.AuditInput, res *planner.AuditResult, _ []bool) { f = figuresOf(res) })
		return f, nil
	}
	if err := checkScenarioName(name); err != nil {
		return nil, err
	}
	saved, err := s.store.Open(r.Context(), name)
	if err != nil {
		return nil, err
	}
	c := &s.compare
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if e.name == name && e.saved.Equal(saved.Saved) {
			return e.fig, nil
		}
	}
	facs, err := planner.ApplyEdits(s.baseFacs, saved.Edits)
	if err != nil {
		return nil, &apiError{kind: planner.ErrConflict, msg: fmt.Sprintf("scenario %q does not apply to this server's inputs: %v", name, err)}
	}
	in := s.baseIn
	in.Facilities = facs
	res, err := planner.Audit(r.Context(), in)
	if err != nil {
		return nil, err
	}
	f := figuresOf(res)
	c.entries = append([]compareEntry{{name, saved.Saved, f}}, c.entries...)
	if len(c.entries) > 8 {
		c.entries = c.entries[:8]
	}
	return f, nil
}

type compareType struct {
	ID         string   `json:"id"`
	NameEn     string   `json:"name_en"`
	NameZh     string   `json:"name_zh"`
	Population data.Num `json:"population"`
	A          data.Num `json:"a_covered"`
	B          data.Num `json:"b_covered"`
	Change     data.Num `json:"change"`     // b − a, residents
	ChangePct  data.Num `json:"change_pts"` // b − a, percentage points of coverage
	ACoverage  data.Num `json:"a_coverage"` // 0..1
	BCoverage  data.Num `json:"b_coverage"` // 0..1
}

type compareUnit struct {
	ID      string              `json:"id"`
	Name    string              `json:"name,omitempty"`
	Changes map[string]data.Num `json:"changes"` // type → b − a residents covered
}

// noNegZero rounds x and turns −0 into 0, so that no figure reads "-0".
func noNegZero(x float64, decimals int) data.Num {
	v := float64(data.Round(x, decimals))
	if v == 0 {
		return 0
	}
	return data.Num(v)
}

// handleCompare answers GET /api/scenarios/compare?a=…&b=…: per type and
// per unit, the change in covered residents from side a to side b
// (baseline, current, or a saved scenario's name).
func (s *Server) handleCompare(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	an, bn := q.Get("a"), q.Get("b")
	if an == "" {
		an = "baseline"
	}
	if bn == "" {
		bn = "current"
	}
	a, err := s.side(r, an)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := s.side(r, bn)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := struct {
		A            string        `json:"a"`
		B            string        `json:"b"`
		Types        []compareType `json:"types"`
		Units        []compareUnit `json:"units"`
		UnitsChanged int           `json:"units_changed"`
	}{A: an, B: bn, Types: []compareType{}, Units: []compareUnit{}}
	s.sc.View(func(in planner.AuditInput, res *planner.AuditResult, _ []bool) {
		for t, ty := range in.Profile.Types {
			pop := res.Types[t].Population
			ct := compareType{ID: ty.ID, NameEn: ty.Names.En, NameZh: ty.Names.Zh, Population: noNegZero(pop, 1),
				A: noNegZero(a.covered[t], 1), B: noNegZero(b.covered[t], 1), Change: noNegZero(b.covered[t]-a.covered[t], 1)}
			if pop > 0 {
				ct.ACoverage, ct.BCoverage = noNegZero(a.covered[t]/pop, 4), noNegZero(b.covered[t]/pop, 4)
				ct.ChangePct = noNegZero(100*(b.covered[t]-a.covered[t])/pop, 2)
			}
			out.Types = append(out.Types, ct)
		}
		for u, unit := range in.Units {
			var ch map[string]data.Num
			for t, ty := range in.Profile.Types {
				if d := noNegZero(b.units[u][t]-a.units[u][t], 1); d != 0 {
					if ch == nil {
						ch = map[string]data.Num{}
					}
					ch[ty.ID] = d
				}
			}
			if ch != nil {
				out.Units = append(out.Units, compareUnit{ID: unit.ID, Name: unit.Name, Changes: ch})
			}
		}
	})
	out.UnitsChanged = len(out.Units)
	size := func(u compareUnit) float64 {
		var x float64
		for _, v := range u.Changes {
			x += math.Abs(float64(v))
		}
		return x
	}
	slices.SortStableFunc(out.Units, func(x, y compareUnit) int { return cmp.Compare(size(y), size(x)) })
	if len(out.Units) > 500 {
		out.Units = out.Units[:500]
	}
	writeJSON(w, http.StatusOK, mimeJSON, out)
}
