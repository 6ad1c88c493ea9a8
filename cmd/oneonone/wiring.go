package main

import (
	"fmt"
	"log/slog"
	"os"

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

// detectRules turns the config into 1:1 recognition rules.
func detectRules(cfg *config.Config) (calendar.DetectRules, error) {
	include, exclude, err := cfg.Detect.Patterns()
	if err != nil {
		return calendar.DetectRules{}, err
	}
	return calendar.DetectRules{Me: cfg.Identity.Me, Include: include, Exclude: exclude}, nil
}

// buildSources makes a Source for each configured source.
func buildSources(cfg *config.Config) ([]sync.NamedSource, error) {
	var out []sync.NamedSource
	for i := range cfg.Sources {
		sc := &cfg.Sources[i]
		zone := sc.Location(cfg.Location())
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
func newEngine(cfg *config.Config, st *store.Store, sources []sync.NamedSource, log *slog.Logger) (*sync.Engine, error) {
	rules, err := detectRules(cfg)
	if err != nil {
		return nil, err
	}
	return &sync.Engine{
		Store:        st,
		Sources:      sources,
		Rules:        rules,
		Relationship: cfg.Relationship,
		Horizon:      cfg.Agenda.Horizon.Duration,
		Log:          log,
	}, nil
}
