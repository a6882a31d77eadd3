package inventory

import "strings"

// docText turns the comment of a doc.go into text: the comment markers
// go, a tab-indented block becomes four spaces, and the package clause
// and what follows it are left out.
func docText(src string) string {
	var b strings.Builder
	for _, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(l, "package ") {
			break
		}
		switch {
		case l == "//":
			b.WriteString("\n")
		case strings.HasPrefix(l, "//\t"):
			b.WriteString("    " + strings.ReplaceAll(l[3:], "\t", "    ") + "\n")
		case strings.HasPrefix(l, "// "):
			b.WriteString(l[3:] + "\n")
		}
	}
	return b.String()
}
