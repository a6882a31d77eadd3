package pwsh

import (
	"strings"
)

// exitBadCommandLine is ConsoleHost.ExitCodeBadCommandLineParameter,
// 0xFFFD0000 in Windows PowerShell (decompiled ConsoleHost.cs; the process
// exit code 4294770688 is quoted in hashicorp/vagrant issue #10438).
const exitBadCommandLine = 0xFFFD0000

// invocation is powershell.exe's command line after parsing, the state of
// CommandLineParameterParser.
type invocation struct {
	command      string // script text from -Command, -EncodedCommand or bare words
	hasCommand   bool
	encoded      bool // -EncodedCommand: errors go to stderr as CLIXML
	fromStdin    bool // -Command - (or no command at all): script read from stdin
	nonInteract  bool
	outputXML    bool
	inputXML     bool
	file         string
	hasFile      bool
	showHelp     bool
	abort        bool
	exitCode     int
	errLines     []string // command-line errors for stderr, in order
	serverMode   bool
	noExit       bool
	executionPol string
}

// Resource strings of CommandLineParameterParser (CommandLineParameterParserStrings.resx
// as published in the PowerShell repository, whose Windows PowerShell 5.1 ancestor
// prints the same texts: "Cannot process the command because the value specified
// with -EncodedCommand is not properly encoded..." is quoted verbatim in
// PowerShell/PowerShell issue #4966 and in a published 5.1 session transcript).
const (
	msgCommandAlreadySpecified  = "Cannot process command because a command is already specified with -Command or -EncodedCommand."
	msgMissingCommandParameter  = "Cannot process the command because of a missing parameter. A command must follow -Command."
	msgBadCommandValue          = "Cannot process the command because the value specified with -EncodedCommand is not properly encoded. The value must be Base64 encoded."
	msgTooManyParametersCommand = "'-' was specified with the -Command parameter; no other arguments to -Command are permitted."
	msgMissingExecutionPolicy   = "Cannot process the execution policy because of a missing policy name. A policy name must follow -ExecutionPolicy."
	msgMissingFileArgument      = "The command cannot be run because the File parameter requires a file path. Supply a path for the File parameter and then try the command again."
	msgFileDoesNotExist         = "The argument '%s' to the -File parameter does not exist. Provide the path to an existing '.ps1' file as an argument to the -File parameter."
	msgMtaStaExclusive          = "Cannot process the command because -STA and -MTA are both specified. Specify either -STA or -MTA."
	msgMissingWindowStyle       = "Cannot process the command because -WindowStyle requires an argument that is normal, hidden, minimized or maximized. Specify one of these argument values and try again."
	msgMissingConfigurationName = "Cannot process the command because -Configuration requires an argument that is a remote endpoint configuration name. Specify this argument and try again."
	msgMissingOutputFormat      = "The command cannot be run because no argument has been supplied for the OutputFormat parameter. Specify one of the following formats for this parameter.\r\n%s"
	msgMissingInputFormat       = "Cannot process the command because the -InputFormat parameter requires an argument. Specify a valid format argument for this parameter.  Valid formats are:\r\n%s"
	msgBadFormatValue           = "Cannot process the command because of an incorrect parameter value. \"%s\" is not a valid format.  Valid formats are:\r\n%s"
	msgMissingArgsValue         = "Cannot process the command because -EncodedArguments requires a value. Specify a value for the -EncodedArguments parameter."
	msgBadArgsValue             = "Cannot process the command because the value specified with -EncodedArguments is not properly encoded. The value must be Base64 encoded."
	formatNames                 = "Text\r\nXML\r\n" // Enum.GetNames(DataFormat), each followed by CRLF
)

// helpText is what Windows PowerShell 5.1 prints for -? and after a command-line
// error, transcribed from a published 5.1 session (the "powershell -e <not base64>"
// step of a write-up, search corpus id 57044023814). Line ends are CRLF on the wire.
var helpText = strings.Join([]string{
	"PowerShell[.exe] [-PSConsoleFile <file> | -Version <version>]",
	"    [-NoLogo] [-NoExit] [-Sta] [-Mta] [-NoProfile] [-NonInteractive]",
	"    [-InputFormat {Text | XML}] [-OutputFormat {Text | XML}]",
	"    [-WindowStyle <style>] [-EncodedCommand <Base64EncodedCommand>]",
	"    [-ConfigurationName <string>]",
	"    [-File <filePath> <args>] [-ExecutionPolicy <ExecutionPolicy>]",
	"    [-Command { - | <script-block> [-args <arg-array>]",
	"                  | <string> [<CommandParameters>] } ]",
	"",
	"PowerShell[.exe] -Help | -? | /?",
	"",
	"-PSConsoleFile",
	"    Loads the specified Windows PowerShell console file. To create a console",
	"    file, use Export-Console in Windows PowerShell.",
	"",
	"-Version",
	"    Starts the specified version of Windows PowerShell.",
	"    Enter a version number with the parameter, such as \"-version 2.0\".",
	"",
	"-NoLogo",
	"    Hides the copyright banner at startup.",
	"",
	"-NoExit",
	"    Does not exit after running startup commands.",
	"",
	"-Sta",
	"    Starts the shell using a single-threaded apartment.",
	"    Single-threaded apartment (STA) is the default.",
	"",
	"-Mta",
	"    Start the shell using a multithreaded apartment.",
	"",
	"-NoProfile",
	"    Does not load the Windows PowerShell profile.",
	"",
	"-NonInteractive",
	"    Does not present an interactive prompt to the user.",
	"",
	"-InputFormat",
	"    Describes the format of data sent to Windows PowerShell. Valid values are",
	"    \"Text\" (text strings) or \"XML\" (serialized CLIXML format).",
	"",
	"-OutputFormat",
	"    Determines how output from Windows PowerShell is formatted. Valid values",
	"    are \"Text\" (text strings) or \"XML\" (serialized CLIXML format).",
	"",
	"-WindowStyle",
	"    Sets the window style to Normal, Minimized, Maximized or Hidden.",
	"",
	"-EncodedCommand",
	"    Accepts a base-64-encoded string version of a command. Use this parameter",
	"    to submit commands to Windows PowerShell that require complex quotation",
	"    marks or curly braces.",
	"",
	"-ConfigurationName",
	"    Specifies a configuration endpoint in which Windows PowerShell is run.",
	"    This can be any endpoint registered on the local machine including the",
	"    default Windows PowerShell remoting endpoints or a custom endpoint having",
	"    specific user role capabilities.",
	"",
	"-File",
	"    Runs the specified script in the local scope (\"dot-sourced\"), so that the",
	"    functions and variables that the script creates are available in the",
	"    current session. Enter the script file path and any parameters.",
	"    File must be the last parameter in the command, because all characters",
	"    typed after the File parameter name are interpreted",
	"    as the script file path followed by the script parameters.",
	"",
	"-ExecutionPolicy",
	"    Sets the default execution policy for the current session and saves it",
	"    in the $env:PSExecutionPolicyPreference environment variable.",
	"    This parameter does not change the Windows PowerShell execution policy",
	"    that is set in the registry.",
	"",
	"-Command",
	"    Executes the specified commands (and any parameters) as though they were",
	"    typed at the Windows PowerShell command prompt, and then exits, unless",
	"    NoExit is specified. The value of Command can be \"-\", a string. or a",
	"    script block.",
	"",
	"    If the value of Command is \"-\", the command text is read from standard",
	"    input.",
	"",
	"    If the value of Command is a script block, the script block must be enclosed",
	"    in braces ({}). You can specify a script block only when running PowerShell.exe",
	"    in Windows PowerShell. The results of the script block are returned to the",
	"    parent shell as deserialized XML objects, not live objects.",
	"",
	"    If the value of Command is a string, Command must be the last parameter",
	"    in the command , because any characters typed after the command are",
	"    interpreted as the command arguments.",
	"",
	"    To write a string that runs a Windows PowerShell command, use the format:",
	"\t\"& {<command>}\"",
	"    where the quotation marks indicate a string and the invoke operator (&)",
	"    causes the command to be executed.",
	"",
	"-Help, -?, /?",
	"    Shows this message. If you are typing a PowerShell.exe command in Windows",
	"    PowerShell, prepend the command parameters with a hyphen (-), not a forward",
	"    slash (/). You can use either a hyphen or forward slash in Cmd.exe.",
	"",
	"EXAMPLES",
	"    PowerShell -PSConsoleFile SqlSnapIn.Psc1",
	"    PowerShell -version 2.0 -NoLogo -InputFormat text -OutputFormat XML",
	"    PowerShell -ConfigurationName AdminRoles",
	"    PowerShell -Command {Get-EventLog -LogName security}",
	"    PowerShell -Command \"& {Get-EventLog -LogName security}\"",
	"",
	"    # To use the -EncodedCommand parameter:",
	"    $command = 'dir \"c:\\program files\" '",
	"    $bytes = [System.Text.Encoding]::Unicode.GetBytes($command)",
	"    $encodedCommand = [Convert]::ToBase64String($bytes)",
	"    powershell.exe -encodedCommand $encodedCommand",
}, "\r\n")

// isDash is SpecialCharacters.IsDash: hyphen-minus, en dash, em dash and
// horizontal bar all introduce a switch.
func isDash(r rune) bool {
	return r == '-' || r == '\u2013' || r == '\u2014' || r == '\u2015'
}

// matchSwitch is CommandLineParameterParser.MatchSwitch: key must be a prefix
// of match and at least as long as the smallest unambiguous prefix.
func matchSwitch(key, match, smallest string) bool {
	return strings.HasPrefix(match, key) && len(key) >= len(smallest)
}

// parseCommandLine follows CommandLineParameterParser.ParseHelper of the
// Windows PowerShell 5.1 console host (PowerShell repository, first open
// source version), including the order in which switches are tried, which
// decides abbreviations: -e is -EncodedCommand, -ex -ExecutionPolicy, -ec
// -EncodedCommand, -nop -NoProfile, -noni -NonInteractive, -c -Command.
// -Version and -PSConsoleFile are handled by the native launcher before this
// parser runs; they are accepted with their argument.
func parseCommandLine(args []string) *invocation {
	inv := &invocation{}
	staSeen, mtaSeen := false, false
	for i := 0; i < len(args); i++ {
		key := strings.ToLower(strings.TrimSpace(args[i]))
		if key == "" {
			continue
		}
		first := []rune(key)[0]
		if !isDash(first) && first != '/' {
			i--
			inv.parseCommand(args, &i, false)
			break
		}
		key = string([]rune(key)[1:])
		if key != "" && isDash([]rune(key)[0]) {
			key = string([]rune(key)[1:])
		}
		if key == "" {
			// A lone "-": read the commands from stdin, as "-Command -" does.
			inv.fromStdin = true
			inv.hasCommand = true
			continue
		}
		switch {
		case matchSwitch(key, "version", "v"), matchSwitch(key, "psconsolefile", "ps"):
			// Consumed by the native launcher.
			i++
		case matchSwitch(key, "help", "h"), matchSwitch(key, "?", "?"):
			inv.showHelp = true
			inv.abort = true
		case matchSwitch(key, "noexit", "noe"):
			inv.noExit = true
		case matchSwitch(key, "importsystemmodules", "imp"):
		case matchSwitch(key, "noprofile", "nop"):
		case matchSwitch(key, "nologo", "nol"):
		case matchSwitch(key, "noninteractive", "noni"):
			inv.nonInteract = true
		case matchSwitch(key, "socketservermode", "so"), matchSwitch(key, "servermode", "s"),
			matchSwitch(key, "namedpipeservermode", "nam"):
			inv.serverMode = true
		case matchSwitch(key, "configurationname", "config"):
			i++
			if i >= len(args) {
				inv.fail(msgMissingConfigurationName, false)
				return inv
			}
		case matchSwitch(key, "command", "c"):
			if !inv.parseCommand(args, &i, false) {
				return inv
			}
		case matchSwitch(key, "windowstyle", "w"):
			i++
			if i >= len(args) {
				inv.fail(msgMissingWindowStyle, false)
				return inv
			}
		case matchSwitch(key, "file", "f"):
			i++
			if i >= len(args) {
				inv.fail(msgMissingFileArgument, true)
				return inv
			}
			if args[i] == "-" {
				inv.fromStdin = true
				inv.hasCommand = true
				return inv
			}
			inv.file = args[i]
			inv.hasFile = true
			return inv
		case matchSwitch(key, "outputformat", "o"), matchSwitch(key, "of", "o"):
			if !inv.parseFormat(args, &i, &inv.outputXML, msgMissingOutputFormat) {
				return inv
			}
		case matchSwitch(key, "inputformat", "i"), matchSwitch(key, "if", "i"):
			if !inv.parseFormat(args, &i, &inv.inputXML, msgMissingInputFormat) {
				return inv
			}
		case matchSwitch(key, "executionpolicy", "ex"), matchSwitch(key, "ep", "ep"):
			i++
			if i >= len(args) {
				inv.fail(msgMissingExecutionPolicy, true)
				return inv
			}
			inv.executionPol = args[i]
		case matchSwitch(key, "encodedcommand", "e"), matchSwitch(key, "ec", "e"):
			inv.encoded = true
			if !inv.parseCommand(args, &i, true) {
				return inv
			}
		case matchSwitch(key, "encodedarguments", "encodeda"), matchSwitch(key, "ea", "ea"):
			i++
			if i >= len(args) {
				inv.fail(msgMissingArgsValue, true)
				return inv
			}
			if _, ok := decodeBase64(args[i]); !ok {
				inv.fail(msgBadArgsValue, true)
				return inv
			}
		case matchSwitch(key, "sta", "s"):
			if mtaSeen {
				inv.fail(msgMtaStaExclusive, false)
				return inv
			}
			staSeen = true
		case matchSwitch(key, "mta", "mta"):
			if staSeen {
				inv.fail(msgMtaStaExclusive, false)
				return inv
			}
			mtaSeen = true
		default:
			// The first parameter that is not recognized starts the command.
			i--
			if !inv.parseCommand(args, &i, false) {
				return inv
			}
		}
	}
	return inv
}

func (inv *invocation) fail(msg string, help bool) {
	inv.errLines = append(inv.errLines, msg)
	inv.showHelp = inv.showHelp || help
	inv.abort = true
	inv.exitCode = exitBadCommandLine
}

func (inv *invocation) parseFormat(args []string, i *int, xml *bool, missing string) bool {
	*i++
	if *i >= len(args) {
		inv.fail(strings.Replace(missing, "%s", formatNames, 1), true)
		return false
	}
	switch strings.ToLower(strings.TrimSpace(args[*i])) {
	case "text", "0":
		*xml = false
	case "xml", "1":
		*xml = true
	default:
		msg := strings.Replace(msgBadFormatValue, "%s", args[*i], 1)
		inv.fail(strings.Replace(msg, "%s", formatNames, 1), true)
		return false
	}
	return true
}

// parseCommand is CommandLineParameterParser.ParseCommand.
func (inv *invocation) parseCommand(args []string, i *int, encoded bool) bool {
	if inv.hasCommand {
		inv.fail(msgCommandAlreadySpecified, true)
		return false
	}
	*i++
	if *i >= len(args) {
		inv.fail(msgMissingCommandParameter, true)
		return false
	}
	switch {
	case encoded:
		s, ok := decodeBase64(args[*i])
		if !ok {
			inv.fail(msgBadCommandValue, true)
			return false
		}
		inv.command = s
	case args[*i] == "-":
		inv.fromStdin = true
		*i++
		if *i != len(args) {
			inv.fail(msgTooManyParametersCommand, true)
			return false
		}
	default:
		inv.command = strings.Join(args[*i:], " ")
		*i = len(args)
	}
	inv.hasCommand = true
	return true
}
