package experiments

import (
	"path"
	"strings"
)

// MatchKeys returns the keys, in their order, that match any of patterns:
// a pattern matches a key as a glob (path.Match syntax: "chroma.*",
// "lesion.a?") or as a prefix ("csi" matches csi.b0 and csi.rejoin.eta2).
// A malformed glob matches as a prefix only.
func MatchKeys(keys, patterns []string) []string {
	var out []string
	for _, k := range keys {
		for _, p := range patterns {
			if ok, _ := path.Match(p, k); ok || strings.HasPrefix(k, p) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}
