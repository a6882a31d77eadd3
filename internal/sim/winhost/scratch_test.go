package winhost

import (
	"fmt"
	"net/netip"
	"testing"
)

func TestScratch(t *testing.T) {
	for _, o := range []OS{Server2003, Server2012R2, Server2019} {
		for _, loc := range []string{"en-US", "de-DE", "fr-FR", "zh-CN"} {
			spec := baseSpec(o)
			spec.Locale = loc
			spec.Interfaces[0].Gateway = netip.MustParseAddr("10.1.2.1")
			spec.Services = []ServiceSpec{{Name: "SMTPSVC", DisplayName: "Simple Mail Transfer Protocol (SMTP)", DependsOn: []string{"IISADMIN"}, Image: "inetinfo.exe", PID: 1876,
				Listeners: []Listener{{Proto: TCP, Addr: netip.MustParseAddrPort("10.1.2.3:25")}}}}
			if o != Server2003 {
				spec.Services = append([]ServiceSpec{{Name: "IISADMIN", DisplayName: "IIS Admin Service", Image: "inetinfo.exe", PID: 1876}}, spec.Services...)
			}
			h := newHost(t, spec, Options{})
			o1, e1, c := run(t, h, "ipconfig")
			fmt.Printf("%s %s %d %q %q\n", o, loc, c, o1, e1)
		}
	}
	spec := baseSpec(Server2019)
	spec.Services = []ServiceSpec{{Name: "IISADMIN", DisplayName: "IIS Admin Service", Image: "inetinfo.exe", PID: 1876}, {Name: "SMTPSVC", DisplayName: "Simple Mail Transfer Protocol (SMTP)", DependsOn: []string{"IISADMIN"}, Image: "inetinfo.exe", PID: 1876,
		Listeners: []Listener{{Proto: TCP, Addr: netip.MustParseAddrPort("10.1.2.3:25")}}}}
	h := newHost(t, spec, Options{})
	for _, l := range []string{"netstat -an | findstr :25", "cscript //nologo C:\\Inetpub\\AdminScripts\\adsutil.vbs get smtpsvc/disablesocketpooling",
		"cscript %SystemDrive%\\Inetpub\\AdminScripts\\adsutil.vbs set smtpsvc/disablesocketpooling true", "cd /d %SystemDrive%\\Inetpub\\AdminScripts && cscript //B adsutil.vbs get smtpsvc/DisableSocketPooling && cd",
		"cscript //nologo adsutil.vbs get smtpsvc/1/disablesocketpooling", "cscript //nologo C:\\Inetpub\\AdminScripts\\adsutil.vbs get smtpsvc/2/disablesocketpooling",
		"cscript //nologo C:\\Inetpub\\AdminScripts\\adsutil.vbs set smtpsvc/disablesocketpooling yes",
		"net stop smtpsvc", "net start smtpsvc", "netstat -an | findstr :25", "sc enumdepend http", "sc enumdepend iisadmin 100", "sc enumdepend nosuch", "sc enumdepend smtpsvc"} {
		o1, e1, c := run(t, h, l)
		fmt.Printf("%s => %d\n%s%s\n", l, c, o1, e1)
	}
	fmt.Println(h.Restarts("smtpsvc"), h.Restarts("IISADMIN"), h.Reboots())
}
