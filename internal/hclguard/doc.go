// Package hclguard keeps hostile or broken HCL from hurting the programs
// that read it. fleetport's HCL loaders (the inventory, the policies, the
// simulator's scenarios, fmt) call it before and after the HCL parser:
//
//   - [Check] scans a file in one pass, before the parser sees it, and
//     refuses nesting deeper than [Limits.MaxDepth], expressions with more
//     operators than [Limits.MaxOperators] and files with more tokens than
//     [Limits.MaxTokens], each with a located diagnostic. The HCL parser
//     and evaluator recurse once per level, so without the check a few
//     hundred kilobytes of brackets exhaust the stack.
//   - [CheckLoops] refuses for expressions whose nested literal
//     collections would take too many iterations.
//   - A [Budget] wraps a function table so that no call returns a result
//     larger than [Budget.MaxResult], and a whole evaluation makes at most
//     [Budget.MaxCalls] calls producing at most [Budget.MaxTotal] bytes;
//     functions whose result size can be known from their arguments
//     (replace, join, format, range) are refused before they allocate.
//   - [IsSecretName], [Redactor] and [Writer] keep credentials out of
//     diagnostics: a source line that sets an argument named like a secret
//     is never shown, and the values written on it are removed from the
//     diagnostics' text, in text and JSON alike.
//   - [Writer] prints diagnostics with source snippets in time linear in
//     the size of the files, however many diagnostics there are, and at
//     most [Writer.Max] of them before saying how many more there are.
//
// The package imports only the standard library, hcl and cty.
package hclguard
