package main

import (
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/caldav"
	"oneonone/config"
	"oneonone/store"
	"oneonone/sync"
)

// loadConfig reads the config named by --config, $ONEONONE_CONFIG or the
// default path.
func loadConfig(path string) (*config.Config, error) {
	return config.Load(config.ResolvePath(path))
}

// newLogger returns the one logger, as the config asks.
func newLogger(cfg *config.Config, w *os.File) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// detectRules turns the config into 1:1 recognition rules. The patterns
// were compiled once by Validate, so errors here cannot happen.
func detectRules(cfg *config.Config) calendar.DetectRules {
	r := calendar.DetectRules{Me: cfg.Identity.Me}
	for _, p := range cfg.Detect.Include {
		r.Include = append(r.Include, regexp.MustCompile("(?i)"+p))
	}
	for _, p := range cfg.Detect.Exclude {
		r.Exclude = append(r.Exclude, regexp.MustCompile("(?i)"+p))
	}
	return r
}

// relationships names each counterpart's relationship from [[agenda.pair]],
// else detect.relationship.
func relationships(cfg *config.Config) func(string) string {
	return func(counterpart string) string {
		if p, ok := cfg.Pair(counterpart); ok && p.Relationship != "" {
			return p.Relationship
		}
		return cfg.Detect.Relationship
	}
}

// buildSources makes a Source for each configured source.
func buildSources(cfg *config.Config) ([]sync.NamedSource, error) {
	var out []sync.NamedSource
	for i := range cfg.Sources {
		sc := &cfg.Sources[i]
		zone := cfg.Location()
		if sc.Timezone != "" {
			loc, err := time.LoadLocation(sc.Timezone)
			if err != nil {
				return nil, fmt.Errorf("source %s: timezone: %w", sc.Name, err)
			}
			zone = loc
		}
		switch sc.Kind {
		case "caldav":
			var password string
			if sc.Username != "" {
				p, err := sc.Password()
				if err != nil {
					return nil, fmt.Errorf("source %s: %w", sc.Name, err)
				}
				password = p
			}
			c, err := caldav.New(caldav.Options{
				URL:       sc.URL,
				Username:  sc.Username,
				Password:  password,
				Calendars: sc.Calendars,
				Zone:      zone,
			})
			if err != nil {
				return nil, fmt.Errorf("source %s: %w", sc.Name, err)
			}
			out = append(out, sync.NamedSource{Name: sc.Name, Source: c})
		default:
			return nil, fmt.Errorf("source %s: kind %q is not supported by this build yet", sc.Name, sc.Kind)
		}
	}
	return out, nil
}

// newEngine wires the engine for a config and an open store.
func newEngine(cfg *config.Config, st *store.Store, sources []sync.NamedSource, log *slog.Logger) *sync.Engine {
	return &sync.Engine{
		Store:        st,
		Sources:      sources,
		Rules:        detectRules(cfg),
		Relationship: relationships(cfg),
		Horizon:      cfg.Agenda.Horizon.Duration,
		Log:          log,
	}
}
