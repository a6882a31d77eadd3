package policies

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions is the function table of every policy expression: go-cty's
// stdlib under Terraform's names, HCL's try and can, and fleetport's own
// startswith, endswith and cidrcontains. All are pure: none reads a file,
// the clock or the environment, so an expression means the same on every
// run.
var functions = map[string]function.Function{
	"abs":             stdlib.AbsoluteFunc,
	"can":             tryfunc.CanFunc,
	"ceil":            stdlib.CeilFunc,
	"chomp":           stdlib.ChompFunc,
	"cidrcontains":    cidrContainsFunc,
	"coalesce":        stdlib.CoalesceFunc,
	"coalescelist":    stdlib.CoalesceListFunc,
	"compact":         stdlib.CompactFunc,
	"concat":          stdlib.ConcatFunc,
	"contains":        stdlib.ContainsFunc,
	"distinct":        stdlib.DistinctFunc,
	"element":         stdlib.ElementFunc,
	"endswith":        endsWithFunc,
	"flatten":         stdlib.FlattenFunc,
	"floor":           stdlib.FloorFunc,
	"format":          stdlib.FormatFunc,
	"formatlist":      stdlib.FormatListFunc,
	"index":           stdlib.IndexFunc,
	"join":            stdlib.JoinFunc,
	"keys":            stdlib.KeysFunc,
	"length":          stdlib.LengthFunc,
	"lookup":          stdlib.LookupFunc,
	"lower":           stdlib.LowerFunc,
	"max":             stdlib.MaxFunc,
	"merge":           stdlib.MergeFunc,
	"min":             stdlib.MinFunc,
	"parseint":        stdlib.ParseIntFunc,
	"range":           stdlib.RangeFunc,
	"regex":           stdlib.RegexFunc,
	"regexall":        stdlib.RegexAllFunc,
	"replace":         stdlib.ReplaceFunc,
	"reverse":         stdlib.ReverseListFunc,
	"setintersection": stdlib.SetIntersectionFunc,
	"setunion":        stdlib.SetUnionFunc,
	"slice":           stdlib.SliceFunc,
	"sort":            stdlib.SortFunc,
	"split":           stdlib.SplitFunc,
	"startswith":      startsWithFunc,
	"strlen":          stdlib.StrlenFunc,
	"substr":          stdlib.SubstrFunc,
	"title":           stdlib.TitleFunc,
	"tonumber":        stdlib.MakeToFunc(cty.Number),
	"tostring":        stdlib.MakeToFunc(cty.String),
	"trim":            stdlib.TrimFunc,
	"trimprefix":      stdlib.TrimPrefixFunc,
	"trimspace":       stdlib.TrimSpaceFunc,
	"trimsuffix":      stdlib.TrimSuffixFunc,
	"try":             tryfunc.TryFunc,
	"upper":           stdlib.UpperFunc,
	"values":          stdlib.ValuesFunc,
	"zipmap":          stdlib.ZipmapFunc,
}

// FunctionNames lists the functions policy expressions may call, sorted.
func FunctionNames() []string {
	out := make([]string, 0, len(functions))
	for n := range functions {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// startsWithFunc is startswith(string, prefix): whether string begins
// with prefix. go-cty's stdlib has no such function.
var startsWithFunc = function.New(&function.Spec{
	Description: "Reports whether the string begins with the prefix.",
	Params: []function.Parameter{
		{Name: "str", Type: cty.String, AllowUnknown: true},
		{Name: "prefix", Type: cty.String},
	},
	Type:         function.StaticReturnType(cty.Bool),
	RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder { return b.NotNull() },
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		prefix := args[1].AsString()
		if !args[0].IsKnown() {
			// A string known to begin with a longer or equal prefix
			// answers already; otherwise the answer waits.
			if p := args[0].Range().StringPrefix(); len(p) >= len(prefix) || !strings.HasPrefix(prefix, p) {
				return cty.BoolVal(strings.HasPrefix(p, prefix)), nil
			}
			return cty.UnknownVal(cty.Bool).RefineNotNull(), nil
		}
		return cty.BoolVal(strings.HasPrefix(args[0].AsString(), prefix)), nil
	},
})

// endsWithFunc is endswith(string, suffix).
var endsWithFunc = function.New(&function.Spec{
	Description: "Reports whether the string ends with the suffix.",
	Params: []function.Parameter{
		{Name: "str", Type: cty.String},
		{Name: "suffix", Type: cty.String},
	},
	Type:         function.StaticReturnType(cty.Bool),
	RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder { return b.NotNull() },
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.BoolVal(strings.HasSuffix(args[0].AsString(), args[1].AsString())), nil
	},
})

// cidrContainsFunc is cidrcontains(prefix, address): whether the address
// lies in the prefix ("10.1.0.0/16"), e.g. to pick hosts by subnet.
var cidrContainsFunc = function.New(&function.Spec{
	Description: "Reports whether the IP address lies in the CIDR prefix.",
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "address", Type: cty.String},
	},
	Type:         function.StaticReturnType(cty.Bool),
	RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder { return b.NotNull() },
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := netip.ParsePrefix(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.Bool), function.NewArgErrorf(0, "%q is not a CIDR prefix", args[0].AsString())
		}
		a, err := netip.ParseAddr(args[1].AsString())
		if err != nil {
			return cty.UnknownVal(cty.Bool), function.NewArgErrorf(1, "%q is not an IP address", args[1].AsString())
		}
		return cty.BoolVal(p.Contains(a)), nil
	},
})
