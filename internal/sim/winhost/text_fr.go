package winhost

// French (fr-FR, fr-BE, fr-CH). Written in code page 850 (É = 0x90).
//
// Sources:
//   - title, headers, -b ownership line, and the fact that French
//     netstat keeps the English state names (LISTENING, ESTABLISHED,
//     TIME_WAIT): French Windows 10 `netstat -abo` / `-an` captures (code
//     index ids 20100158595, 39622487534, 8047653663, 34005034397). The
//     ownership line uses U+2019; CP850 has no such character, so it comes
//     out as "'" (WideCharToMultiByte best fit).
//   - -o header "État            PID": a vitest fixture that says it is real
//     `netstat -ano` output of a French host (code index id 61424499058).
//   - dynamicport: DataDog datadog-agent's netsh parser test ("Plage de
//     ports dynamique du protocole tcp", "Port de démarrage   :", "Nombre de
//     ports     :") [unverified: a test fixture, not a capture].
//   - "not recognized" [chosen: the widely quoted French cmd message; no
//     capture in the index].
//   - ver: French cmd writes "version" in lower case [chosen].
//   - ipconfig (2008 R2 on): French Windows sessions, "Carte Ethernet X :",
//     the labels whose colon follows the dots ("Adresse IPv4. . . .: ")
//     and "Statut du média. . . : Média déconnecté" (code index ids
//     20272180826, 34215189803, 8344485307 for "Adresse IPv6").
//     [chosen] "Carte Tunnel X :" and the whole 2003 layout: no French
//     capture of either was found.
var textFR = texts{
	activeConns:   "Connexions actives",
	netstatHdr:    "  Proto  Adresse locale         Adresse distante       État",
	netstatHdrPID: "  Proto  Adresse locale         Adresse distante       État            PID",
	states:        textEN.states,
	noOwner:       "Impossible d\u2019obtenir les informations de propriétaire",
	dynTitle:      "Plage de ports dynamique du protocole %s",
	dynStart:      "Port de démarrage   : ",
	dynNum:        "Nombre de ports     : ",
	notRecognized: "'%s' n'est pas reconnu en tant que commande interne\r\nou externe, un programme exécutable ou un fichier de commandes.",
	ver:           "Microsoft Windows [version %s]",
	ipcfg: ipconfigText{
		title:    "Configuration IP de Windows",
		ethernet: "Carte Ethernet %s :", tunnel: "Carte Tunnel %s :",
		suffix:    "Suffixe DNS propre à la connexion. . . : ",
		ipv6:      "Adresse IPv6. . . . . . . . . . . . . .: ",
		linkLocal: "Adresse IPv6 de liaison locale. . . . .: ",
		ipv4:      "Adresse IPv4. . . . . . . . . . . . . .: ",
		mask:      "Masque de sous-réseau. . . . . . . . . : ",
		gw:        "Passerelle par défaut. . . . . . . . . : ",
		media:     "Statut du média. . . . . . . . . . . . : ", mediaOff: "Média déconnecté",
		ethernet2003: "Carte Ethernet %s :",
		suffix2003:   "Suffixe DNS propre à la connexion . . : ",
		ip2003:       "Adresse IP. . . . . . . . . . . . . . : ",
		mask2003:     "Masque de sous-réseau . . . . . . . . : ",
		gateway2003:  "Passerelle par défaut . . . . . . . . : ",
	},
}
