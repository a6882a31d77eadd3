package winhost

// Simplified Chinese (zh-CN). Written in code page 936 (GBK).
//
// Sources:
//   - netstat title and headers: Chinese Windows captures (code index ids
//     41755502203 for -ano, 16902539594 for -an). Chinese netstat keeps the
//     English state names (windows-semantics.md 6, and the captures).
//   - "not recognized": BitCrackers/AmongUsMenu#434 (a Chinese host's
//     build log).
//   - [chosen] the -b ownership line, dynamicport labels and ver stay
//     English: no Chinese capture was found.
var textZH = texts{
	activeConns:   "活动连接",
	netstatHdr:    "  协议  本地地址          外部地址        状态",
	netstatHdrPID: "  协议  本地地址          外部地址        状态           PID",
	states:        textEN.states,
	noOwner:       textEN.noOwner,
	dynTitle:      textEN.dynTitle,
	dynStart:      textEN.dynStart,
	dynNum:        textEN.dynNum,
	notRecognized: "'%s' 不是内部或外部命令，也不是可运行的程序\r\n或批处理文件。",
	ver:           textEN.ver,
}
