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
//   - ipconfig (2008 R2 on): a Chinese Windows 7/2008 R2 `ipconfig` run
//     through PsExec ("以太网适配器 本地连接:", "隧道适配器 isatap.{...}:",
//     "媒体已断开", code index id 20708715024); "IPv6 地址" from a Chinese
//     Windows 10 capture kept in a test (code index id 69829342839).
//     [chosen] the 2003 layout: no Chinese capture was found.
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
	ipcfg: ipconfigText{
		title:    "Windows IP 配置",
		ethernet: "以太网适配器 %s:", tunnel: "隧道适配器 %s:",
		suffix:    "连接特定的 DNS 后缀 . . . . . . . : ",
		ipv6:      "IPv6 地址 . . . . . . . . . . . . : ",
		linkLocal: "本地链接 IPv6 地址. . . . . . . . : ",
		ipv4:      "IPv4 地址 . . . . . . . . . . . . : ",
		mask:      "子网掩码  . . . . . . . . . . . . : ",
		gw:        "默认网关. . . . . . . . . . . . . : ",
		media:     "媒体状态  . . . . . . . . . . . . : ", mediaOff: "媒体已断开",
		ethernet2003: "以太网适配器 %s:",
		suffix2003:   "连接特定的 DNS 后缀 . . . . . . . : ",
		ip2003:       "IP 地址. . . . . . . . . . . . . . : ",
		mask2003:     "子网掩码 . . . . . . . . . . . . . : ",
		gateway2003:  "默认网关 . . . . . . . . . . . . . : ",
	},
}
