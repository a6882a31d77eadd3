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
}
