package experiments

import (
	"slices"
	"strings"
)

// ConfigOverrides recovers the overrides that turn the config text base
// into other, both canonical TOML (configs.Config.Canonical: one "key =
// value" per line under [section] headers). It returns, sorted, each
// "section.key = value" of other whose value differs from base's or that
// base lacks, and "section.key (unset)" for keys only base has. The keys
// name and seed, which differ between every regime and run, are ignored.
// Texts that are not canonical give a best-effort line diff.
func ConfigOverrides(base, other []byte) []string {
	b, o := configLines(base), configLines(other)
	var out []string
	for k, v := range o {
		if bv, ok := b[k]; !ok || bv != v {
			out = append(out, k+" = "+v)
		}
	}
	for k := range b {
		if _, ok := o[k]; !ok {
			out = append(out, k+" (unset)")
		}
	}
	slices.Sort(out)
	return out
}

// configLines maps each "section.key" of a canonical config text to its
// value text, without name and seed.
func configLines(text []byte) map[string]string {
	m := map[string]string{}
	section := ""
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]") + "."
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		key := section + strings.TrimSpace(k)
		if key == "name" || key == "seed" {
			continue
		}
		m[key] = strings.TrimSpace(v)
	}
	return m
}
