package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
)

// cmdVersion prints the module version and the VCS revision this binary
// was built from, as the Go toolchain stamped them.
func cmdVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "[--config PATH]")
	fs.String("config", "", "ignored: version reads no config")
	if err := fs.parse(args, false); err != nil {
		return err
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprintln(e.stdout, versionLine(info))
	return nil
}

// versionLine is one line: "oneonone VERSION (revision REV, dirty,
// committed TIME, GOVERSION)". VERSION is the module's: the tag, else the
// pseudo-version go build derives from the checkout, else "(devel)" when
// the build stamped none (-buildvcs=false, no VCS); the parts in
// parentheses are those the build carries (go build stamps the revision
// in a VCS checkout, unless -buildvcs=false).
func versionLine(info *debug.BuildInfo) string {
	version := "(devel)"
	var more []string
	if info != nil {
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		vcs := map[string]string{}
		for _, s := range info.Settings {
			vcs[s.Key] = s.Value
		}
		if rev := vcs["vcs.revision"]; rev != "" {
			more = append(more, "revision "+rev)
		}
		if vcs["vcs.modified"] == "true" {
			more = append(more, "dirty")
		}
		if t := vcs["vcs.time"]; t != "" {
			more = append(more, "committed "+t)
		}
		if info.GoVersion != "" {
			more = append(more, info.GoVersion)
		}
	}
	if len(more) == 0 {
		return "oneonone " + version
	}
	return fmt.Sprintf("oneonone %s (%s)", version, strings.Join(more, ", "))
}
