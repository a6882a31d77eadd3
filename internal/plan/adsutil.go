package plan

import (
	"bytes"

	"github.com/fleetport/fleetport/internal/parse"
)

// adsNotSet is adsutil's exit code for a property not set at the node
// (0x80005006, MD_ERROR_DATA_NOT_FOUND), as a 32-bit signed number; WinRM
// may report it as the unsigned DWORD.
const adsNotSet = -2147463162

// readAdsutil reads `cscript //nologo adsutil.vbs get PATH` of a BOOLEAN
// property: its value, and whether it is set at the node. A "not set"
// sentence the parser does not know (a translated adsutil) is told by the
// exit code.
func readAdsutil(out Output) (value, set bool, err error) {
	v, err := parse.ParseAdsutil(bytes.NewReader(out.Stdout), parse.Options{})
	if err != nil {
		if int32(uint32(out.ExitCode)) == adsNotSet {
			return false, false, nil
		}
		return false, false, err
	}
	b, err := v.Bool()
	if err != nil {
		return false, false, err
	}
	return b, v.Set, nil
}
