package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// writeFile writes text at dir/name with mode (chmod'ed, past the umask).
func writeFile(t *testing.T, dir, name, text string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func warningKeys(ws []Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Key)
	}
	return out
}

// A file that holds a secret and can be read by others than its owner is
// one warning each, naming the file and the fix; files the owner alone
// reads, and files that hold no secret, are none.
func TestWarningsFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	dir := t.TempDir()
	secret := "0123456789abcdef0123"
	tokenTOML := baseTOML + "\n[web]\ntoken = \"" + secret + "\"\n"
	tests := []struct {
		name     string
		config   string      // its text
		mode     os.FileMode // of the config file
		pwMode   os.FileMode // of the password file, 0: none
		wantKeys []string
	}{
		{"token, world-readable", tokenTOML, 0o644, 0, []string{"web.token"}},
		{"token, group-readable", tokenTOML, 0o640, 0, []string{"web.token"}},
		{"token, owner only", tokenTOML, 0o600, 0, nil},
		{"token, owner read-only", tokenTOML, 0o400, 0, nil},
		{"no secret, world-readable", baseTOML, 0o644, 0, nil},
		{"password file world-readable", baseTOML, 0o644, 0o644, []string{"source[0].password_file"}},
		{"password file group-readable", baseTOML, 0o600, 0o640, []string{"source[0].password_file"}},
		{"password file owner only", baseTOML, 0o644, 0o600, nil},
		{"both", tokenTOML, 0o604, 0o604, []string{"web.token", "source[0].password_file"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := filepath.Join(dir, string(rune('a'+i)))
			if err := os.Mkdir(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			text := tt.config
			var pw string
			if tt.pwMode != 0 {
				pw = writeFile(t, sub, "pw", "hunter2\n", tt.pwMode)
				text = strings.Replace(text, `url = "https://cal.example.com/dav/"`,
					"url = \"https://cal.example.com/dav/\"\nusername = \"anna\"\npassword_file = \""+pw+"\"", 1)
			}
			path := writeFile(t, sub, "config.toml", text, tt.mode)
			c, err := Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			ws := c.Warnings(path)
			if got := warningKeys(ws); strings.Join(got, " ") != strings.Join(tt.wantKeys, " ") {
				t.Fatalf("warnings %q, want keys %q", ws, tt.wantKeys)
			}
			for _, w := range ws {
				file := path
				if w.Key != "web.token" {
					file = pw
				}
				line := w.String()
				if w.File != file || !strings.Contains(line, file) || !strings.Contains(line, "chmod 600 "+file) || strings.Contains(line, "\n") {
					t.Errorf("warning %q does not name %s and chmod 600 in one line", line, file)
				}
				if strings.Contains(line, secret) || strings.Contains(line, "hunter2") {
					t.Errorf("warning %q shows a secret", line)
				}
			}
		})
	}
}

// Google's key and token files are secrets too.
func TestWarningsGoogleFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	dir := t.TempDir()
	sa := writeFile(t, dir, "sa.json", "{}", 0o644)
	tok := writeFile(t, dir, "tok.json", "{}", 0o644)
	c := mustParse(t, baseTOML)
	c.Sources = append(c.Sources,
		Source{Name: "sa", Kind: KindGoogle, ServiceAccount: sa, Subject: "anna@example.com", key: "source[2]"},
		Source{Name: "tok", Kind: KindGoogle, ClientSecrets: "c.json", Token: tok, key: "source[3]"},
		Source{Name: "none", Kind: KindGoogle, ClientSecrets: "c.json", Token: filepath.Join(dir, "missing.json"), key: "source[4]"},
	)
	got := strings.Join(warningKeys(c.Warnings("")), " ")
	if want := "source[2].service_account source[3].token"; got != want {
		t.Errorf("warnings for %s, want %s", got, want)
	}
}

// insecure = true on an http:// URL beyond loopback is a warning at start.
func TestWarningsInsecure(t *testing.T) {
	c := mustParse(t, baseTOML)
	c.Sources[0].URL, c.Sources[0].Insecure = "http://cal.example.com/dav/", true
	ws := c.Warnings("")
	if len(ws) != 1 || ws[0].Key != "source[0].insecure" || !strings.Contains(ws[0].Msg, "cal.example.com") || !strings.Contains(ws[0].Msg, "in clear") {
		t.Fatalf("warnings = %q, want one for source[0].insecure naming the host", ws)
	}
	c.Sources[0].URL = "https://cal.example.com/dav/"
	if ws := c.Warnings(""); len(ws) != 0 {
		t.Errorf("warnings over https = %q", ws)
	}
}

// A notification target's secret files readable by others are said.
func TestWarningsNotifyFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no file modes on Windows")
	}
	dir := t.TempDir()
	url := filepath.Join(dir, "hook-url")
	if err := os.WriteFile(url, []byte("https://hooks.example.com/x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.Notify = []Notify{{Name: "hook", Kind: NotifyWebhook, URLFile: url}}
	ws := c.Warnings("")
	if len(ws) != 1 || ws[0].Key != "notify[0].url_file" || !strings.Contains(ws[0].Msg, "anyone may read it") {
		t.Fatalf("warnings %v", ws)
	}
}
