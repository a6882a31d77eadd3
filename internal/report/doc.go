// Package report renders a drift report ([drift.Report]) for people and
// for machines, in five formats:
//
//   - [Table]: the terminal view. A header with the run and the counts,
//     then the findings grouped by policy (or by host, [Options.GroupBy]):
//     host, result, rule, expected, actual and fix, one line each, fitted
//     to [Options.Width] (cells cut with "…"). Unknown results show as
//     "unknown" with their reason; hosts that were not reached are listed
//     with their status and error. Evidence lines with [Options.Verbose],
//     the changes since an earlier run when the report has them, and a
//     one-line summary at the end. ANSI colour only with [Options.Color]:
//     without it the output holds no escape byte, and escape bytes in the
//     data never reach the terminal.
//   - [JSON]: the report's versioned JSON form, described by
//     docs/schema/drift-report.schema.json ([drift.SchemaID]).
//   - [Markdown]: GitHub-flavoured Markdown for pull requests and wikis,
//     with the evidence in collapsed details sections.
//   - [HTML]: one self-contained page (inline CSS and SVG charts, a tiny
//     optional filter script), readable offline and printable: summary,
//     policy × host matrix, per-host details with evidence, changes.
//   - [JUnit]: JUnit XML for CI dashboards, a test suite per policy and a
//     test case per host and policy.
//
// The entry points are [Write], which renders one format to a writer, and
// [WriteFiles], which writes several formats to files atomically.
// [ParseFormats] turns a --format flag value into formats.
//
// The package deliberately does not decide anything: it does not judge
// hosts, compute counts, sort or compare runs (the drift package does, and
// the report's numbers are printed as they are), it does not detect a
// terminal or read NO_COLOR (the caller sets [Options]), and it does not
// choose file names or exit codes. It fetches nothing and links to
// nothing outside the page. The model holds no credentials, and the
// package prints nothing that is not in the model.
package report
