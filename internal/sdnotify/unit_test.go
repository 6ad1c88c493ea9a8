package sdnotify

import (
	"os"
	"strings"
	"testing"
)

// The unit in contrib/ uses this package (Type=notify, a watchdog), lets
// systemd make the state directory and points the daemon at it, and does
// not assume where `go install` put the binary.
func TestContribUnit(t *testing.T) {
	data, err := os.ReadFile("../../contrib/oneonone.service")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			keys[k] = append(keys[k], v)
		}
	}
	want := map[string]string{
		"Type":           "notify",
		"NotifyAccess":   "main",
		"StateDirectory": "oneonone",
	}
	for k, v := range want {
		if got := keys[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if len(keys["WatchdogSec"]) != 1 {
		t.Error("no WatchdogSec")
	}
	if got := keys["ReadWritePaths"]; len(got) != 0 {
		t.Errorf("ReadWritePaths = %q: fails while the directory does not exist; StateDirectory makes it", got)
	}
	var state bool
	for _, v := range keys["Environment"] {
		state = state || v == "ONEONONE_STATE=%S/oneonone/state.db"
	}
	if !state {
		t.Errorf("Environment = %q: want ONEONONE_STATE in the StateDirectory", keys["Environment"])
	}
	if exec := strings.Join(keys["ExecStart"], " "); strings.Contains(exec, "/go/bin/") {
		t.Errorf("ExecStart = %q: assumes the GOPATH install path", exec)
	}
}
