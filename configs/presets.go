package configs

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// presetFS holds the preset files, so that the binary runs with no files
// around it.
//
//go:embed *.toml
var presetFS embed.FS

// Presets returns the names of the embedded presets (file names without
// ".toml"), sorted.
func Presets() []string {
	entries, err := fs.ReadDir(presetFS, ".")
	if err != nil {
		panic("configs: embedded presets unreadable: " + err.Error())
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".toml"); ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// PresetText returns the embedded TOML text of preset name ("default" or
// "default.toml").
func PresetText(name string) ([]byte, error) {
	name = strings.TrimSuffix(name, ".toml")
	text, err := presetFS.ReadFile(name + ".toml")
	if err != nil || name == "" || strings.ContainsAny(name, `/\`) {
		return nil, fmt.Errorf("configs: no preset %q (have: %s)", name, strings.Join(Presets(), ", "))
	}
	return text, nil
}

// Preset parses the embedded preset name ("default" or "default.toml").
// An unknown name is a plain error listing the presets; parse errors (which
// a test rules out for the shipped presets) are *Error labelled with the
// file name, e.g. "default.toml".
func Preset(name string) (*Config, error) {
	text, err := PresetText(name)
	if err != nil {
		return nil, err
	}
	return Parse(strings.TrimSuffix(name, ".toml")+".toml", text)
}

// Load parses the config file at path. A file on disk always wins. When
// there is no file at path and path names a preset, Load parses the
// embedded preset instead; path names preset P when it is "P", "P.toml", or
// any path ending in "configs/P.toml" (so "configs/default.toml" works from
// any directory, with the same text the repository holds). Otherwise the
// not-found error is returned, wrapped, listing the presets.
//
// The file is read with ReadFile, so at most MaxTextBytes of it. Parse
// errors and a file too long are *Error; I/O errors are wrapped with the
// path.
func Load(p string) (*Config, error) {
	text, err := ReadFile(p)
	var e *Error
	switch {
	case err == nil:
		return Parse(p, text)
	case errors.As(err, &e):
		return nil, err
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("configs: load (%s): %w", p, err)
	}
	if name, ok := presetName(p); ok {
		return Preset(name)
	}
	return nil, fmt.Errorf("configs: load (%s): %w; presets: %s", p, err, strings.Join(Presets(), ", "))
}

// presetName reports which preset path names under Load's rule.
func presetName(p string) (string, bool) {
	p = filepath.ToSlash(p)
	dir, file := path.Split(p)
	name := strings.TrimSuffix(file, ".toml")
	switch {
	case dir == "" && name != "":
	case file != name && (dir == "configs/" || strings.HasSuffix(dir, "/configs/")):
	default:
		return "", false
	}
	for _, preset := range Presets() {
		if preset == name {
			return name, true
		}
	}
	return "", false
}
