package parse

// Decoding console output.
//
// The rule: Windows' console tools (netstat, netsh, reg, sc, httpcfg,
// ver) write in the host's OEM code page whatever code page the WinRM
// shell asked for; PowerShell writes in the shell's code page (65001 =
// UTF-8 when fleetport asks for it). The parsers work on UTF-8 text, so
// every input is decoded first:
//
//   - a UTF-8 BOM is dropped; a UTF-16 BOM (a file PowerShell's ">" wrote)
//     selects UTF-16;
//   - with a code-page hint (Options.CodePage), input that is pure ASCII
//     needs no decoding; a single- or double-byte code page decodes it; a
//     65001 hint on input that is not valid UTF-8 falls back to detection
//     (a console tool wrote OEM bytes into a UTF-8 shell);
//   - without a hint, valid UTF-8 is UTF-8, and otherwise every candidate
//     OEM/ANSI code page decodes a sample and the one whose text holds the
//     most words the parsers know (netstat headers and states, netsh
//     labels, in the languages of knownWords) wins; ties and no hits are
//     broken by how plausible the decoded text is (letters score, box
//     drawing, control characters and U+FFFD cost), then by candidate
//     order. The result always says which encoding was used.
//
// Characters are never guessed where they matter: the parsers read
// numbers, addresses and structure, which are ASCII in every code page;
// the decoded words only serve the state map and error quotes.

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	xunicode "golang.org/x/text/encoding/unicode"
)

// codePages are the code pages a hint may name, by number.
var codePages = map[int]encoding.Encoding{
	437:   charmap.CodePage437,
	850:   charmap.CodePage850,
	852:   charmap.CodePage852,
	855:   charmap.CodePage855,
	858:   charmap.CodePage858,
	860:   charmap.CodePage860,
	862:   charmap.CodePage862,
	863:   charmap.CodePage863,
	865:   charmap.CodePage865,
	866:   charmap.CodePage866,
	874:   charmap.Windows874,
	932:   japanese.ShiftJIS,
	936:   simplifiedchinese.GBK,
	949:   korean.EUCKR,
	950:   traditionalchinese.Big5,
	1250:  charmap.Windows1250,
	1251:  charmap.Windows1251,
	1252:  charmap.Windows1252,
	1253:  charmap.Windows1253,
	1254:  charmap.Windows1254,
	1255:  charmap.Windows1255,
	1256:  charmap.Windows1256,
	1257:  charmap.Windows1257,
	1258:  charmap.Windows1258,
	20866: charmap.KOI8R,
	28591: charmap.ISO8859_1,
	54936: simplifiedchinese.GB18030,
}

// detectOrder is the order in which detection tries code pages, most
// likely first (the OEM code pages of the server locales fleetport meets,
// then the ANSI ones a transcribed capture may use).
var detectOrder = []int{850, 437, 852, 866, 936, 932, 949, 950, 1252, 1250, 1251}

// detectSample bounds how much of the input detection decodes per
// candidate: the lines that hold non-ASCII bytes, up to this size.
const detectSample = 64 << 10

// knownWords are words with non-ASCII letters that the outputs the
// parsers read contain, in the languages fleetport knows of. They only
// steer detection; a missing or wrong word costs detection power, not
// correctness. Sources: the state and header tables of netstat.go, the
// netsh labels of dynamicport.go, `ver`, and ipconfig's labels
// (testdata/ipconfig).
var knownWords = []string{
	// German (netstat states from Checkmk's win_netstat.py sample and map)
	"ABHÖREN", "LÖSCHEN", "können", "Übereinstimmung",
	// French (netstat -o header, -b ownership line, netsh dynamicport,
	// ipconfig)
	"État", "propriétaire", "démarrage", "sous-réseau", "défaut", "média",
	// German ipconfig
	"Temporäre",
	// Spanish, Portuguese
	"Dirección", "Conexões", "Endereço",
	// Polish, Czech
	"połączenia", "Protokół", "NASŁUCHIWANIE", "Aktivní", "připojení", "Místní",
	// Russian
	"Активные", "подключения", "Локальный", "Внешний", "адрес", "Состояние", "Имя",
	// Chinese (simplified, traditional), Japanese, Korean
	"活动连接", "协议", "本地地址", "外部地址", "状态", "版本", "适配器", "子网掩码", "默认网关",
	"使用中連線", "協定", "本機位址", "外部位址", "狀態",
	"アクティブな接続", "プロトコル", "ローカル", "外部アドレス", "状態",
	"활성", "연결", "프로토콜", "로컬", "주소", "상태",
}

// codePageName is the name a result reports for a code page.
func codePageName(cp int) string {
	switch cp {
	case 65001:
		return "utf-8"
	case 1200:
		return "utf-16le"
	case 1201:
		return "utf-16be"
	}
	return "cp" + strconv.Itoa(cp)
}

// decode turns raw output into UTF-8 text and names the encoding used.
func decode(kind string, b []byte, hint int) (string, string, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		b = b[3:]
		if hint == 0 {
			hint = 65001
		}
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return decodeWith(kind, b[2:], xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM), 1200)
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return decodeWith(kind, b[2:], xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM), 1201)
	}
	if hint == 1200 || hint == 1201 {
		order := xunicode.LittleEndian
		if hint == 1201 {
			order = xunicode.BigEndian
		}
		return decodeWith(kind, b, xunicode.UTF16(order, xunicode.IgnoreBOM), hint)
	}
	if isASCII(b) {
		return string(b), "ascii", nil
	}
	if hint == 0 || hint == 65001 {
		if utf8.Valid(b) {
			return string(b), "utf-8", nil
		}
		return detect(kind, b)
	}
	enc, ok := codePages[hint]
	if !ok {
		return "", "", inputErr(kind, ErrCodePage, "code page %d is not supported", hint)
	}
	return decodeWith(kind, b, enc, hint)
}

func decodeWith(kind string, b []byte, enc encoding.Encoding, cp int) (string, string, error) {
	if cm, ok := enc.(*charmap.Charmap); ok {
		return decodeSingleByte(b, cm), codePageName(cp), nil
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return "", "", inputErr(kind, ErrCodePage, "decoding as %s: %v", codePageName(cp), err)
	}
	return string(out), codePageName(cp), nil
}

// highHalves caches, per single-byte code page, the UTF-8 text of bytes
// 0x80-0xFF.
var highHalves sync.Map // *charmap.Charmap -> *[128]string

// decodeSingleByte decodes a single-byte code page: ASCII runs are
// copied, only the other bytes are looked up. Console output is mostly
// ASCII, so this runs at copying speed.
func decodeSingleByte(b []byte, cm *charmap.Charmap) string {
	v, ok := highHalves.Load(cm)
	if !ok {
		var t [128]string
		for i := range t {
			r := cm.DecodeByte(byte(0x80 + i))
			t[i] = string(r)
		}
		v, _ = highHalves.LoadOrStore(cm, &t)
	}
	table := v.(*[128]string)
	var out strings.Builder
	out.Grow(len(b) + len(b)/8)
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] < utf8.RuneSelf {
			i++
		}
		out.Write(b[:i])
		if i == len(b) {
			break
		}
		out.WriteString(table[b[i]-0x80])
		b = b[i+1:]
	}
	return out.String()
}

// detect picks the candidate code page whose decoding reads best.
func detect(kind string, b []byte) (string, string, error) {
	sample := nonASCIILines(b, detectSample)
	best, bestScore := 0, 0
	for i, cp := range detectOrder {
		out, err := codePages[cp].NewDecoder().Bytes(sample)
		if err != nil {
			continue
		}
		s := score(string(out))
		if i == 0 || s > bestScore {
			best, bestScore = cp, s
		}
	}
	return decodeWith(kind, b, codePages[best], best)
}

// score rates decoded text: each known word counts 1000, a non-ASCII
// letter 1, a replacement character, a control character, box drawing or
// a private-use character -10.
func score(s string) int {
	n := 0
	for _, w := range knownWords {
		n += 1000 * strings.Count(s, w)
	}
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if r < 0x20 && r != '\r' && r != '\n' && r != '\t' {
				n -= 10
			}
		case r == utf8.RuneError, r >= 0x2500 && r <= 0x25FF, r >= 0xE000 && r <= 0xF8FF,
			r >= 0x80 && r < 0xA0, unicode.IsControl(r):
			n -= 10
		case unicode.IsLetter(r):
			n++
		}
	}
	return n
}

// nonASCIILines returns the lines of b that hold a non-ASCII byte, up to
// about max bytes.
func nonASCIILines(b []byte, max int) []byte {
	var out []byte
	for len(b) > 0 && len(out) < max {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i+1], b[i+1:]
		} else {
			b = nil
		}
		if !isASCII(line) {
			out = append(out, line...)
		}
	}
	return out
}

func isASCII(b []byte) bool {
	// Eight bytes at a time: the check runs over every input.
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// SupportedCodePage reports whether Options.CodePage may be cp: 0
// (detect), 65001 (UTF-8), 1200 and 1201 (UTF-16), or a code page the
// parsers decode.
func SupportedCodePage(cp int) bool {
	switch cp {
	case 0, 65001, 1200, 1201:
		return true
	}
	_, ok := codePages[cp]
	return ok
}

// CodePages lists the code pages Options.CodePage may name besides 0,
// sorted.
func CodePages() []int {
	out := []int{1200, 1201, 65001}
	for cp := range codePages {
		out = append(out, cp)
	}
	slices.Sort(out)
	return out
}
