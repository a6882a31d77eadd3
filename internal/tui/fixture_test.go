package tui

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/fleetport/fleetport/internal/drift"
)

// reportPath is a drift report from a real simulator run: 40 hosts, 17
// policies, with unreachable and garbled hosts.
var reportPath = filepath.Join("..", "report", "testdata", "report.json")

var (
	reportOnce sync.Once
	reportRaw  []byte
	reportErr  error
)

// loadReport decodes the fixture report afresh (callers may change it).
func loadReport(t testing.TB) *drift.Report {
	t.Helper()
	reportOnce.Do(func() { reportRaw, reportErr = os.ReadFile(reportPath) })
	if reportErr != nil {
		t.Fatal(reportErr)
	}
	rep := &drift.Report{}
	if err := json.Unmarshal(reportRaw, rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Hosts) != 40 {
		t.Fatalf("fixture has %d hosts, want 40", len(rep.Hosts))
	}
	return rep
}

// staticSource serves fixed data; loads counts the calls.
type staticSource struct {
	mu    sync.Mutex
	data  *Data
	err   error
	loads int
}

func (s *staticSource) Load(ctx context.Context) (*Data, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	return s.data, s.err
}

func (s *staticSource) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loads
}

// fixtureTags gives every host a role tag and the even ones env=prod, to
// exercise tag:KEY=VALUE.
func fixtureTags(rep *drift.Report) map[string]map[string]string {
	tags := map[string]map[string]string{}
	for i, h := range rep.Hosts {
		t := map[string]string{"env": "test"}
		if len(h.Groups) > 0 {
			t["role"] = h.Groups[0]
		}
		if i%2 == 0 {
			t["env"] = "prod"
		}
		tags[h.Name] = t
	}
	return tags
}

// loadedModel is a model that has received the fixture, at w x h, in the
// ASCII profile, without a program.
func loadedModel(t testing.TB, data *Data, w, h int) *Model {
	t.Helper()
	m := New(&staticSource{data: data}, Options{})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(tea.ColorProfileMsg{Profile: colorprofile.ASCII})
	msg := m.Init()()
	m.Update(msg)
	if m.data == nil {
		t.Fatalf("not loaded: %v", m.loadErr)
	}
	return m
}

func press(m *Model, keys ...string) {
	for _, k := range keys {
		m.Update(keyMsg(k))
	}
}

// keyMsg turns a key name into the message a terminal produces.
func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)
	if len(r) != 1 {
		panic(fmt.Sprintf("keyMsg: %q", k))
	}
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(keyMsg(string(r)))
	}
}
