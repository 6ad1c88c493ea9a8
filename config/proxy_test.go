package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// web.auth_proxy_header, web.trusted_proxies and web.admins (docs/DESIGN.md,
// "Who is looking"): each problem is one FieldError naming the key.
func TestValidateProxy(t *testing.T) {
	proxy := func(c *Config) {
		c.Web.AuthProxyHeader = "X-Forwarded-Email"
		c.Web.TrustedProxies = []string{"127.0.0.1/32", "10.0.0.0/8"}
		c.Web.Admins = []string{"boss@example.com"}
	}
	tests := []struct {
		name     string
		mutate   func(c *Config)
		key, msg string // "" for no error
	}{
		{"all three ok", proxy, "", ""},
		{"single IPs ok", func(c *Config) { proxy(c); c.Web.TrustedProxies = []string{"127.0.0.1", "::1", "fd00::/8"} }, "", ""},
		{"no admins ok", func(c *Config) { proxy(c); c.Web.Admins = nil }, "", ""},
		{"header without proxies", func(c *Config) { proxy(c); c.Web.TrustedProxies = nil }, "web.auth_proxy_header", "needs web.trusted_proxies"},
		{"header not a token", func(c *Config) { proxy(c); c.Web.AuthProxyHeader = "X Forwarded Email" }, "web.auth_proxy_header", "not an HTTP header name"},
		{"header with a colon", func(c *Config) { proxy(c); c.Web.AuthProxyHeader = "X-Email:" }, "web.auth_proxy_header", "not an HTTP header name"},
		{"bad CIDR named", func(c *Config) { proxy(c); c.Web.TrustedProxies = []string{"127.0.0.1/32", "10.0.0.0/33"} }, "web.trusted_proxies[1]", `"10.0.0.0/33" is not a CIDR`},
		{"not an IP", func(c *Config) { proxy(c); c.Web.TrustedProxies = []string{"proxy.example.com"} }, "web.trusted_proxies[0]", "proxy.example.com"},
		{"a zone refused", func(c *Config) { proxy(c); c.Web.TrustedProxies = []string{"fe80::1%eth0"} }, "web.trusted_proxies[0]", "not a CIDR"},
		{"proxies without header", func(c *Config) { c.Web.TrustedProxies = []string{"127.0.0.1/32"} }, "web.trusted_proxies", "needs web.auth_proxy_header"},
		{"admins without header", func(c *Config) { c.Web.Admins = []string{"boss@example.com"} }, "web.admins", "needs web.auth_proxy_header"},
		{"admin not an address", func(c *Config) { proxy(c); c.Web.Admins = []string{"boss"} }, "web.admins[0]", "not an e-mail address"},
		{"admin twice", func(c *Config) { proxy(c); c.Web.Admins = []string{"boss@example.com", "Boss@Example.com"} }, "web.admins[1]", "already in web.admins[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, baseTOML)
			tt.mutate(c)
			err := c.Validate()
			if tt.key == "" {
				if err != nil {
					t.Fatalf("unexpected error:\n%v", err)
				}
				return
			}
			wantFieldError(t, err, tt.key, tt.msg)
		})
	}
}

// Every problem of the three keys comes in the same pass, from the file.
func TestValidateProxyOnePass(t *testing.T) {
	text := baseTOML + `
[web]
auth_proxy_header = "Bad Header"
trusted_proxies = ["127.0.0.1/32", "nope", "10.0.0.0/99"]
admins = ["boss"]
`
	_, err := parse([]byte(text), "test.toml", noEnv)
	var keys []string
	for _, fe := range fieldErrors(t, err) {
		if strings.HasPrefix(fe.Key, "web.") {
			keys = append(keys, fe.Key)
		}
	}
	want := []string{"web.auth_proxy_header", "web.trusted_proxies[1]", "web.trusted_proxies[2]", "web.admins[0]"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys = %q, want %q\n%v", keys, want, err)
	}
}

func TestTrustedNets(t *testing.T) {
	w := Web{TrustedProxies: []string{"127.0.0.1", "10.1.2.3/8", "::ffff:192.168.0.0/112", "::1", "bad"}}
	var got []string
	for _, p := range w.TrustedNets() {
		got = append(got, p.String())
	}
	want := []string{"127.0.0.1/32", "10.0.0.0/8", "192.168.0.0/16", "::1/128"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TrustedNets = %q, want %q", got, want)
	}
	if !w.TrustedNets()[1].Contains(netip.MustParseAddr("10.200.0.1")) {
		t.Error("10.0.0.0/8 does not hold 10.200.0.1")
	}
}

// Behind a sign-in proxy the daemon may listen beyond loopback without a
// token: only the trusted proxies are answered.
func TestServeTokenProxyMode(t *testing.T) {
	c := mustParse(t, baseTOML)
	c.Listen = "0.0.0.0:8787"
	if _, err := c.ServeToken(); err == nil {
		t.Fatal("no token, no proxy, beyond loopback: served")
	}
	c.Web.AuthProxyHeader = "X-Forwarded-Email"
	c.Web.TrustedProxies = []string{"10.0.0.5"}
	if _, err := c.ServeToken(); err != nil {
		t.Errorf("proxy mode beyond loopback: %v", err)
	}
	if err := Reloadable(c, c); err != nil {
		t.Errorf("Reloadable in proxy mode: %v", err)
	}
}

func TestWarningTokenInProxyMode(t *testing.T) {
	c := mustParse(t, baseTOML)
	c.Web.AuthProxyHeader = "X-Forwarded-Email"
	c.Web.TrustedProxies = []string{"127.0.0.1"}
	c.Web.TokenEnv = "ONEONONE_TOKEN"
	found := false
	for _, w := range c.Warnings("") {
		found = found || (w.Key == "web.token" && strings.Contains(w.Msg, "auth_proxy_header"))
	}
	if !found {
		t.Errorf("no warning of the unused token: %v", c.Warnings(""))
	}
}
