package root

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/inventory"
	"github.com/fleetport/fleetport/policies"
)

// helpTopics are the language references `fleetport help TOPIC` prints:
// the sections of the packages' documentation a user writes against,
// without the Go API.
var helpTopics = map[string]struct {
	short    string
	doc      func() string
	sections []string
}{
	"inventory": {"the inventory language: hosts, groups, defaults, credentials, --limit", inventory.DocSource,
		[]string{"The language", "Credentials", "Selecting hosts (--limit)"}},
	"policies": {"the policy language: policies, rules, remediation, waivers, the built-in pack", policies.DocSource,
		[]string{"The language", "Rule kinds", "Remediation and effects", "Safety", "Waivers", "The built-in pack"}},
	"limit": {"selecting hosts with --limit", inventory.DocSource, []string{"Selecting hosts (--limit)"}},
}

// docLink is a Go doc link, [Name] or [pkg.Name]: the name alone reads
// better outside Go.
var docLink = regexp.MustCompile(`\[([A-Za-z][A-Za-z0-9_.]*)\]`)

// topicText is the sections of a documentation text, in the order asked.
func topicText(doc string, sections []string) string {
	parts := map[string]string{}
	var name string
	var cur strings.Builder
	flush := func() {
		if name != "" {
			parts[name] = cur.String()
		}
		cur.Reset()
	}
	for _, l := range strings.SplitAfter(doc, "\n") {
		if h, ok := strings.CutPrefix(l, "# "); ok {
			flush()
			name = strings.TrimSpace(h)
		}
		cur.WriteString(l)
	}
	flush()
	var b strings.Builder
	for _, s := range sections {
		if p, ok := parts[s]; ok {
			b.WriteString(strings.TrimRight(docLink.ReplaceAllString(p, "$1"), "\n") + "\n\n")
		}
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// newHelpCommand is `fleetport help [COMMAND | TOPIC]`: a command's help,
// as cobra gives it, or a language reference.
func newHelpCommand(root *cobra.Command) *cobra.Command {
	var topics []string
	for t, h := range helpTopics {
		topics = append(topics, fmt.Sprintf("  %-10s %s", t, h.short))
	}
	sortStrings(topics)
	return &cobra.Command{
		Use:   "help [command | topic]",
		Short: "Help about any command, or a language reference",
		Long: `Help about any command (fleetport help drift), or one of the language
references:

` + strings.Join(topics, "\n"),
		Example: `  fleetport help policies
  fleetport help limit`,
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var out []string
			for t := range helpTopics {
				out = append(out, t)
			}
			for _, c := range root.Commands() {
				if c.IsAvailableCommand() {
					out = append(out, c.Name())
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				if h, ok := helpTopics[args[0]]; ok {
					_, err := fmt.Fprint(c.OutOrStdout(), topicText(docText(h.doc()), h.sections))
					return err
				}
			}
			cmd, _, err := root.Find(args)
			if cmd == nil || err != nil {
				return fmt.Errorf("unknown help topic %q: give a command or one of inventory, policies, limit", strings.Join(args, " "))
			}
			cmd.InitDefaultHelpFlag()
			return cmd.Help()
		},
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

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
