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
//   - [HTML]: one self-contained page (inline CSS and SVG charts, a small
//     optional search script), readable offline and with JavaScript off:
//     the provenance, a summary, the policies worst first by inventory
//     group with a drill-down to the hosts of each cell, every host folded
//     to one line worst first (evidence inside), the hosts not reached one
//     line per status, changes. Hosts come in folded sets by their worst
//     severity, so the page stays short on any fleet; each result has its
//     own CSS class (st-NAME) and a line in the legend.
//   - [JUnit]: JUnit XML for CI dashboards, a test suite per policy and a
//     test case per host and policy.
//
// Waived findings (drift a live waiver accepts) show in every format with
// the waiver's name, reason, until date and file:line: in the table on a
// line under the finding and in a Waivers section (expired ones too), in
// Markdown in the result cell and a Waivers table, in HTML as the waived
// status beside the finding, in JSON as they are, and in JUnit as skipped
// test cases whose message names the waiver. [Options.Only] "waived" keeps
// only them. A report without waived drift reads as it would without
// waivers.
//
// The entry points are [Write], which renders one format to a writer, and
// [WriteFiles], which writes several formats to files atomically.
// [ParseFormats] turns a --format flag value into formats.
//
// The package deliberately does not decide anything: it does not judge
// hosts or compare runs (the drift package does, and the report's summary
// is printed as it is; the package only orders and groups the verdicts it
// is given, worst first and by inventory group), it does not detect a
// terminal or read NO_COLOR (the caller sets [Options]), and it does not
// choose file names or exit codes. It fetches nothing and links to
// nothing outside the page. The model holds no credentials, and the
// package prints nothing that is not in the model.
package report
