package configs

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
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

// Load is LoadFrom(".", p): a relative path is read from the working
// directory.
func Load(p string) (*Config, error) { return LoadFrom("", p) }

// LoadFrom parses the config that the argument p names, reading a relative
// file path from the directory dir ("" is the working directory). The rule:
//
//   - A bare word (no path separator, no ".toml" suffix) that names an
//     embedded preset is that preset ("tiny"). A directory of that name is
//     no file and changes nothing (`branchspec run tiny --out .` creates
//     one); a regular file of that name in dir is an error naming both,
//     which says to write "./tiny" for the file.
//   - Anything else is a file path: with a path separator ("./tiny",
//     "configs/tiny.toml"), a ".toml" suffix ("tiny.toml"), or a bare word
//     that is no preset. When no file exists there and the path is
//     "P.toml" or ends in "configs/P.toml" for a preset P, it names that
//     preset (so "configs/default.toml" works from any directory, with the
//     text the repository holds).
//
// A file is read with ReadFile, so at most MaxTextBytes of it. Parse
// errors, a file too long and an ambiguous name are *Error; I/O errors are
// wrapped with the path (fs.ErrNotExist, with the presets listed, for a
// missing file).
func LoadFrom(dir, p string) (*Config, error) {
	file := p
	if dir != "" && !filepath.IsAbs(p) {
		file = filepath.Join(dir, p)
	}
	if isBareWord(p) && isPreset(p) {
		if fi, err := os.Stat(file); err == nil && !fi.IsDir() {
			return nil, &Error{File: p, Msg: fmt.Sprintf("names both the preset %s and the file %s; write ./%s for the file, or move it", p, file, p)}
		}
		return Preset(p)
	}
	text, err := ReadFile(file)
	var e *Error
	switch {
	case err == nil:
		return Parse(file, text)
	case errors.As(err, &e):
		return nil, err
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("configs: load (%s): %w", file, err)
	}
	if name, ok := presetName(p); ok {
		return Preset(name)
	}
	return nil, fmt.Errorf("configs: load (%s): %w; presets: %s", file, err, strings.Join(Presets(), ", "))
}

// isBareWord reports whether p has no path separator and no ".toml"
// suffix: a word that may name a preset.
func isBareWord(p string) bool {
	return p != "" && !strings.ContainsAny(p, `/\`) && !strings.HasSuffix(p, ".toml")
}

func isPreset(name string) bool {
	for _, p := range Presets() {
		if p == name {
			return true
		}
	}
	return false
}

// presetName reports which preset a missing file path names: "P.toml" or
// any path ending in "configs/P.toml".
func presetName(p string) (string, bool) {
	p = filepath.ToSlash(p)
	dir, file := path.Split(p)
	name, ok := strings.CutSuffix(file, ".toml")
	if !ok || !(dir == "" || dir == "configs/" || strings.HasSuffix(dir, "/configs/")) || !isPreset(name) {
		return "", false
	}
	return name, true
}
