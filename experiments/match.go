package experiments

import (
	"path"
	"slices"
	"strings"
)

// CheckPatterns returns an ErrInvalid error naming the first pattern that
// is not a well-formed glob (path.Match syntax), or nil.
func CheckPatterns(patterns []string) error {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return invalidf("metric pattern %q: %v (globs are path.Match patterns: *, ?, [a-z], \\ escapes)", p, err)
		}
	}
	return nil
}

// MatchKeys returns the keys, in their order, that match any of patterns.
// A pattern that is itself one of the keys selects that key alone
// ("rejoin.maxshare", not also its null's rejoin.maxshare.p); any other
// pattern matches a key as a glob (path.Match syntax: "chroma.*",
// "lesion.a?") or as a prefix ("csi" matches csi.b0 and csi.rejoin.eta2).
// A malformed glob matches as a prefix only.
func MatchKeys(keys, patterns []string) []string {
	var out []string
	for _, k := range keys {
		for _, p := range patterns {
			if p == k {
				out = append(out, k)
				break
			}
			if slices.Contains(keys, p) {
				continue
			}
			if ok, _ := path.Match(p, k); ok || strings.HasPrefix(k, p) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}
