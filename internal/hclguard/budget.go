package hclguard

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Default budget of one evaluation (one file, or one host's policies).
const (
	DefaultMaxResult = 1 << 20  // bytes one function call may return
	DefaultMaxTotal  = 64 << 20 // bytes all calls together may return
	DefaultMaxCalls  = 100_000  // function calls
	// DefaultMaxIterations bounds the iterations of for expressions
	// (counted when [InstrumentLoops] rewrote them): HCL takes from a few
	// to some fifty microseconds per iteration.
	DefaultMaxIterations = 20_000
	// MaxFormatWidth caps the widths and precisions in a format string,
	// so that a few bytes cannot ask for gigabytes of padding.
	MaxFormatWidth = 1000
)

// Budget bounds the function calls of an evaluation. Its function table
// ([Budget.Functions]) refuses, with an error naming the limit, a call
// whose result would be larger than MaxResult bytes, the call after
// MaxCalls, and the call after the results have added up to MaxTotal
// bytes. Sizes count a string's bytes, 8 bytes for a number, a bool or a
// null, and 8 bytes more per element of a collection.
//
// A Budget is not safe for concurrent use: give each goroutine its own.
type Budget struct {
	MaxResult     int64
	MaxTotal      int64
	MaxCalls      int
	MaxIterations int

	calls      int
	iterations int
	total      int64
	err        error
}

// NewBudget returns a budget with the default limits.
func NewBudget() *Budget {
	return &Budget{MaxResult: DefaultMaxResult, MaxTotal: DefaultMaxTotal, MaxCalls: DefaultMaxCalls, MaxIterations: DefaultMaxIterations}
}

// Err returns the first limit the evaluation hit, or nil.
func (b *Budget) Err() error { return b.err }

// Calls returns how many function calls the budget has counted.
func (b *Budget) Calls() int { return b.calls }

func (b *Budget) fail(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if b.err == nil {
		b.err = err
	}
	return err
}

// Functions returns base with every function bounded by the budget, and
// [LoopFunc], which counts the iterations of the for expressions that
// [InstrumentLoops] rewrote. Functions that take expressions rather than
// values (try, can) are left as they are: the calls inside them are
// counted.
func (b *Budget) Functions(base map[string]function.Function) map[string]function.Function {
	out := make(map[string]function.Function, len(base)+1)
	out[LoopFunc] = b.loopFunc()
	for name, f := range base {
		if name == "try" || name == "can" {
			out[name] = f
			continue
		}
		out[name] = b.wrap(name, f)
	}
	return out
}

func (b *Budget) wrap(name string, f function.Function) function.Function {
	estimate := estimators[name]
	return function.New(&function.Spec{
		Description: f.Description(),
		Params:      f.Params(),
		VarParam:    f.VarParam(),
		Type: func(args []cty.Value) (cty.Type, error) {
			return f.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
			unknown := cty.UnknownVal(retType)
			if b.err != nil {
				return unknown, b.err
			}
			b.calls++
			if b.calls > b.MaxCalls {
				return unknown, b.fail("the evaluation makes more than %d function calls, fleetport's limit", b.MaxCalls)
			}
			if estimate != nil {
				if err := estimate(args, b.MaxResult); err != nil {
					if _, arg := err.(function.ArgError); !arg && b.err == nil {
						b.err = err
					}
					return unknown, err
				}
			}
			v, err := f.Call(args)
			if err != nil {
				return v, err
			}
			n := Size(v, b.MaxResult)
			if n > b.MaxResult {
				return unknown, b.fail("the result would be larger than %s, the most a function may return", bytesText(b.MaxResult))
			}
			b.total += n
			if b.total > b.MaxTotal {
				return unknown, b.fail("the function results add up to more than %s, fleetport's limit for one evaluation", bytesText(b.MaxTotal))
			}
			return v, nil
		},
	})
}

// loopFunc returns its argument, counting its elements as iterations.
func (b *Budget) loopFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Counts the iterations of a for expression.",
		Params: []function.Parameter{{Name: "collection", Type: cty.DynamicPseudoType,
			AllowUnknown: true, AllowNull: true, AllowMarked: true, AllowDynamicType: true}},
		Type: func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v := args[0]
			if b.err != nil {
				return v, b.err
			}
			u, _ := v.Unmark()
			if u.IsKnown() && !u.IsNull() && u.CanIterateElements() {
				b.iterations += u.LengthInt()
				if b.iterations > b.MaxIterations {
					return v, b.fail("the for expressions run more than %d iterations, fleetport's limit", b.MaxIterations)
				}
			}
			return v, nil
		},
	})
}

// bytesText renders a byte count as "1 MiB" or "512 bytes".
func bytesText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Size returns the size of v as a [Budget] counts it, or a number larger
// than limit as soon as it is known to be larger.
func Size(v cty.Value, limit int64) int64 {
	var n int64
	var walk func(v cty.Value)
	walk = func(v cty.Value) {
		if n > limit {
			return
		}
		if v.IsMarked() {
			v, _ = v.Unmark()
		}
		if !v.IsKnown() || v.IsNull() {
			n += 8
			return
		}
		ty := v.Type()
		switch {
		case ty == cty.String:
			n += int64(len(v.AsString()))
		case ty.IsPrimitiveType():
			n += 8
		case ty.IsListType() || ty.IsSetType() || ty.IsTupleType() || ty.IsMapType() || ty.IsObjectType():
			for it := v.ElementIterator(); it.Next() && n <= limit; {
				k, e := it.Element()
				n += 8
				if ty.IsMapType() || ty.IsObjectType() {
					n += int64(len(k.AsString()))
				}
				walk(e)
			}
		default:
			n += 8
		}
	}
	walk(v)
	return n
}

// An estimator refuses a call whose result would be larger than limit,
// before the call allocates it.
type estimator func(args []cty.Value, limit int64) error

// linear functions return no more than their arguments hold.
func linear(args []cty.Value, limit int64) error {
	var n int64
	for _, a := range args {
		n += Size(a, limit)
		if n > limit {
			return tooLarge(limit)
		}
	}
	return nil
}

func tooLarge(limit int64) error {
	return fmt.Errorf("the result would be larger than %s, the most a function may return", bytesText(limit))
}

// knownString returns a's string when it is a known, non-null string.
func knownString(a cty.Value) (string, bool) {
	if a.IsMarked() {
		a, _ = a.Unmark()
	}
	if !a.IsKnown() || a.IsNull() || a.Type() != cty.String {
		return "", false
	}
	return a.AsString(), true
}

var estimators = map[string]estimator{
	"replace": func(args []cty.Value, limit int64) error {
		if len(args) != 3 {
			return nil
		}
		str, ok1 := knownString(args[0])
		sub, ok2 := knownString(args[1])
		rep, ok3 := knownString(args[2])
		if !ok1 || !ok2 || !ok3 || len(rep) <= len(sub) {
			return nil
		}
		var count int64
		if sub == "" {
			count = int64(utf8.RuneCountInString(str)) + 1
		} else {
			count = int64(strings.Count(str, sub))
		}
		grow := count * int64(len(rep)-len(sub))
		if count != 0 && grow/count != int64(len(rep)-len(sub)) || int64(len(str))+grow > limit {
			return tooLarge(limit)
		}
		return nil
	},
	"join": func(args []cty.Value, limit int64) error {
		if len(args) < 1 {
			return nil
		}
		sep, _ := knownString(args[0])
		var n int64
		for _, l := range args[1:] {
			if l.IsMarked() {
				l, _ = l.Unmark()
			}
			if !l.IsKnown() || l.IsNull() || !l.CanIterateElements() {
				continue
			}
			n += Size(l, limit) + int64(l.LengthInt())*int64(len(sep))
			if n > limit {
				return tooLarge(limit)
			}
		}
		return nil
	},
	"format":     formatEstimate,
	"formatlist": formatEstimate,
	"range": func(args []cty.Value, limit int64) error {
		nums := make([]*big.Float, 0, 3)
		for _, a := range args {
			if a.IsMarked() {
				a, _ = a.Unmark()
			}
			if !a.IsKnown() || a.IsNull() || a.Type() != cty.Number {
				return nil
			}
			nums = append(nums, a.AsBigFloat())
		}
		var end *big.Float
		start, step := big.NewFloat(0), big.NewFloat(1)
		switch len(nums) {
		case 1:
			end = nums[0]
		case 2:
			start, end = nums[0], nums[1]
		case 3:
			start, end, step = nums[0], nums[1], nums[2]
		default:
			return nil
		}
		if step.Sign() == 0 {
			return nil
		}
		span := new(big.Float).Sub(end, start)
		count := new(big.Float).Quo(span, step)
		count.Abs(count)
		if c, _ := count.Float64(); c*16 > float64(limit) {
			return tooLarge(limit)
		}
		return nil
	},
}

func init() {
	// The functions whose result may be larger than their largest
	// argument; the others return a part of what they are given.
	for _, name := range []string{"concat", "flatten", "merge", "setunion", "zipmap", "split", "lower", "upper", "title"} {
		estimators[name] = linear
	}
}

// formatEstimate refuses widths above MaxFormatWidth and results larger
// than the limit: each verb adds at most the width, or the size of its
// argument, and formatlist repeats the format once per element.
func formatEstimate(args []cty.Value, limit int64) error {
	if len(args) == 0 {
		return nil
	}
	format, ok := knownString(args[0])
	if !ok {
		return nil
	}
	if LargestFormatWidth(format) > MaxFormatWidth {
		return function.NewArgErrorf(0, "widths and precisions above %d are not supported", MaxFormatWidth)
	}
	verbs := int64(strings.Count(format, "%"))
	rows := int64(1)
	var argSize int64
	for _, a := range args[1:] {
		if a.IsMarked() {
			a, _ = a.Unmark()
		}
		argSize += Size(a, limit)
		if a.IsKnown() && !a.IsNull() && (a.Type().IsListType() || a.Type().IsTupleType()) {
			rows = max(rows, int64(a.LengthInt()))
		}
	}
	perRow := int64(len(format)) + verbs*MaxFormatWidth
	if rows > limit || perRow*rows > limit || argSize > limit {
		return tooLarge(limit)
	}
	return nil
}

// LargestFormatWidth returns the largest width or precision in the verbs
// of a format string.
func LargestFormatWidth(s string) int {
	largest := 0
	number := func(i int) (int, int) {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j-i > 9 {
			return MaxFormatWidth + 1, j
		}
		n, _ := strconv.Atoi(s[i:j])
		return n, j
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		i++
		for i < len(s) && strings.IndexByte("-+# 0", s[i]) >= 0 {
			i++
		}
		if i < len(s) && s[i] == '[' {
			for i < len(s) && s[i] != ']' {
				i++
			}
			i++
		}
		var n int
		n, i = number(i)
		largest = max(largest, n)
		if i < len(s) && s[i] == '.' {
			n, i = number(i + 1)
			largest = max(largest, n)
		}
	}
	return largest
}
