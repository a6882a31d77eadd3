// Package inventory turns HCL inventory files into typed hosts (address,
// port, transport, authentication, TLS, timeouts, groups, tags, variables,
// per-group concurrency), with located diagnostics, and selects hosts with
// --limit patterns.
//
// # Entry points
//
//   - [LoadDir] (or [Load], to name files by their operating-system path)
//     reads a file or a folder from an fs.FS and returns the merged
//     [Inventory]; the CLI passes os.DirFS, tests pass fstest.MapFS.
//   - [Parse] decodes one file from bytes; [Merge] merges decoded files,
//     reports what spans files, and resolves every host.
//   - [Inventory.Hosts] returns the resolved [Host] values, sorted by
//     name; [Inventory.Select] applies a --limit pattern.
//   - [Host.ResolveCredentials] gives user and password their values
//     through a [Resolver] the caller provides; [Host.ListJSON] is the
//     shape of `inventory list --json`.
//   - [Inventory.Files] maps file names to parsed files, for rendering
//     diagnostics with source snippets (hclguard.Writer, which never shows
//     a line that sets a secret).
//
// Loading happens in layers, as in OpenTofu's configs package: Parse
// checks each block and every value that does not depend on the host;
// Merge finds duplicates, unknown group references and conflicts, which
// need every file. Both return hcl.Diagnostics and carry on past errors,
// so one run shows every problem, and both return a partial result that is
// safe for careful analysis. Every decoded value keeps its source range.
//
// # What it does not do
//
// The package does no I/O: it takes bytes and file names, and LoadDir
// reads only through the fs.FS it is given. It never reads a credential
// itself: env("NAME"), file("path") and prompt() are references, resolved
// only when the caller asks, through its own [Resolver]. A [Secret]
// prints, logs and marshals as its reference, never its value, and no
// diagnostic or error contains a credential. It does not check that a CA
// file exists or that a host answers. An Inventory is immutable and safe
// for concurrent use.
//
// # Limits
//
// Whatever the input, loading ends in seconds with a located error rather
// than a crash: a file is at most [MaxFileSize] bytes, nests at most 100
// levels and holds at most 512 Ki tokens, an inventory at most [MaxTokens]
// tokens; its values' function calls return at most 1 MiB each and, over
// the whole inventory, at most 2 million calls, 128 MiB and 200,000
// iterations of for expressions (package hclguard).
//
// It imports only the standard library, hcl/v2, go-cty, go-ldap (to check
// a source's filter and base DN) and hclguard. Sources are listed by the
// caller's [SourceLister].
//
// # The language
//
// An inventory is one or more files of four block types (the fourth,
// source, is described under Sources). Every argument
// is optional unless noted; an argument set to null counts as unset.
//
//	defaults {                        # at most one in the whole inventory
//	  transport = "https"             # "http" (default) or "https"
//	  port      = 5986                # default 5985 for http, 5986 for https
//	  auth      = "ntlm"              # "basic", "ntlm" (default), "kerberos" or "negotiate"
//	  user      = env("FLEETPORT_USER")     # a literal user name is fine too
//	  password  = env("FLEETPORT_PASSWORD") # env("NAME"), file("path") or prompt()
//	  ca_file   = "ca.pem"            # relative to the file that names it
//	  tls_server_name      = "${host.name}.corp.example"
//	  insecure_skip_verify = false    # true: a warning
//	  allow_unencrypted    = false    # Basic over http; true: a warning
//	  krb5_conf            = "krb5.conf"  # kerberos; else KRB5_CONFIG, else /etc/krb5.conf
//	  realm                = "CORP.EXAMPLE" # kerberos: the user's realm
//	  kerberos_name        = "${host.name}.corp.example" # the name in HTTP/<name>
//	  keytab               = "collector.keytab" # kerberos: the user's keys
//	  ccache               = "/tmp/krb5cc_1000" # kerberos: kinit's cache; else KRB5CCNAME
//	  change_user          = env("FLEETPORT_CHANGE_USER")     # changes only (apply, resume,
//	  change_password      = env("FLEETPORT_CHANGE_PASSWORD") # rollback, the TUI's fixes)
//	  change_keytab        = "change.keytab"  # kerberos: the change account's keys
//	  change_ccache        = "/tmp/krb5cc_change" # kerberos: the change account's tickets
//	  connect_timeout      = "10s"    # default 10s
//	  operation_timeout    = "60s"    # one remote call; default 60s
//	  timeout              = "5m"     # all of a host's work in a run; default 5m
//	  concurrency          = 50       # the fleet-wide cap
//	  site                 = "dc1"
//	  tags = { env = "prod" }         # strings; numbers and bools are converted
//	  vars = { dns = ["10.0.0.53"] }  # any values
//	}
//
//	group "web" {                     # any defaults argument, for its members
//	  concurrency = 20                # how many members are worked on at once
//	  tags = { role = "iis" }
//	}
//
//	host "web0001" {
//	  address            = "10.1.0.5" # IP address or DNS name; required
//	  management_address = "10.1.0.5" # where fleetport's traffic arrives at the host
//	  groups             = ["web", "dmz"]
//	  tags = { os = "2019" }
//	  vars = { service_address = "10.20.0.1" }
//	  # any defaults argument except concurrency
//	}
//
// A host's settings are resolved per argument: the built-in default, then
// defaults, then its groups, then its own block. Two of a host's groups
// that set an argument to different values are an error naming both,
// unless the host sets the argument itself. tags and vars are resolved per
// key in the same way. management_address defaults to address when that
// is an IP address. A host's concurrency is not inherited: the defaults
// cap applies to the fleet and each group's cap to that group's members,
// together.
//
// Names of hosts, groups and sites start with a letter or digit and have
// letters, digits, dots, hyphens and underscores. Host and group names
// must be unique without regard to case, as Windows compares them; a
// group reference must match the declared name exactly. "all" is the
// implicit group of every host.
//
// Values may be HCL expressions: string templates, lists, maps, and the
// functions concat, format, formatlist, join, lower, max, merge, min,
// replace, split, substr, title, tolist, tomap, tonumber, tostring,
// trimprefix, trimspace, trimsuffix and upper. host.name, the name of the
// host being resolved, may be used everywhere except in groups,
// concurrency and allow_password_literal, so a defaults or group block can
// say tls_server_name = "${host.name}.corp.example".
//
// # Credentials
//
// user and password take env("NAME"), file("path") (the file's contents
// less one final newline; the path relative to the declaring file) or
// prompt() as their whole value; the argument of env and file may use
// host.name. A user may also be a literal string. A literal password is an
// error unless its block, or the defaults block, sets
// allow_password_literal = true, and then a warning. Diagnostics about a
// literal password point at its block, so that a rendered snippet does not
// show the password's line. Basic authentication over http is an error
// unless allow_unencrypted = true; basic and ntlm need a user and a
// password. Kerberos over http seals every message; a kerberos host
// addressed by IP needs kerberos_name (a ticket is for a name), or it is an
// error. negotiate uses Kerberos when a ticket for the host can be had and
// NTLM (with user and password) otherwise, as Windows clients do; a
// negotiate host addressed by IP without kerberos_name gets a warning, as
// it will always use NTLM. A run records which one each host used.
// ntlm stays the default: a default of negotiate would make every existing
// inventory send its password to whatever KDC /etc/krb5.conf names (where
// a local account named like a domain account counts failed logons toward
// that account's lockout), and would fall back quietly where Kerberos is
// meant to be required; the README's "In a Windows domain" says more.
//
// # Sources: hosts from Active Directory
//
// A source block lists hosts from where the fleet is already listed:
//
//	source "active_directory" "corp" {
//	  url         = "ldap://dc01.corp.example"       # Kerberos seals every message
//	  base_dn     = "OU=Servers,DC=corp,DC=example"
//	  filter      = "(operatingSystem=*Server*)"    # optional, ANDed with computer objects
//	  stale_after = "30d"                           # default 45d
//	  groups_from = ["ou", "memberOf"]              # default ["ou"]
//	}
//
// url is ldaps:// (verified with ca_file, or the system's CAs;
// server_name when the certificate's name is not the URL's host), or
// ldap:// with a Kerberos bind, which seals every message, or with
// start_tls = true. bind is "kerberos" (the default: the operator's ticket
// cache, KRB5CCNAME or ccache; a keytab with user = "name@REALM"; or a
// password by reference) or "simple" (user and password, password by
// reference only). krb5_conf names the Kerberos configuration (default
// KRB5_CONFIG, else /etc/krb5.conf); timeout bounds each directory
// operation (default 30s). A Samba domain controller with its default
// settings refuses Kerberos binds over ldaps://: use ldap://.
//
// Every enabled computer object under base_dn that matches the filter and
// runs Windows is a host: its name is the computer's name in lower case,
// its address its dNSHostName; its tags are source, os, os_version and
// ou; its groups are the organizational units between base_dn and the
// object (lower case, other characters as hyphens), the AD groups it is a
// member of (with "memberOf"), and the source's own groups list. Disabled
// accounts, managed service accounts, computers not running Windows,
// computers with no DNS name and computers that have not logged on (or,
// never having logged on, were created) longer than stale_after ago are
// left out, and counted by reason.
//
// Source hosts take the defaults and their groups' settings like any host;
// a group a source names need not be declared. A host block of the same
// name is the same host, with a warning: its settings win, and the source
// fills in the rest (the address when the block has none, tags under the
// block's own, groups added to the block's). A filter or base DN
// that is not valid is an error located at it, as is a base DN the
// directory does not have.
//
// The last good listing of each source is kept in fleetport's store; when
// the directory cannot be reached, it is used with a warning that says how
// old it is (`inventory list --refresh` fails instead).
//
// The change credential: change_user and change_password (taking the same
// references as user and password; a literal change_password is refused
// the same way), or for Kerberos change_keytab (with change_user) or
// change_ccache, name the account fleetport changes hosts with: apply,
// rollout resume and rollback and the TUI's fixes use it, while collect,
// drift, plan and the verification reads use user and password. Least
// privilege as domains grant it: the read account is a member of the
// hosts' Remote Management Users, the change account of their
// Administrators. The change credential is complete in itself (a user and
// a password, a user and a keytab, or a credential cache); without one,
// changes use the read credential.
//
// # Selecting hosts (--limit)
//
// A pattern is a comma-separated list of terms; blanks around terms are
// ignored. A term is one of:
//
//	web0001          a host name or a group name (its members)
//	web*             a glob over host and group names (* ? [...])
//	all              every host (so is *)
//	group:web        a group's members; group:web* a glob over group names
//	tag:os=2019      hosts whose tag os matches the glob 2019 (tag:os=20*)
//	tag:os           hosts that have the tag os at all
//	@hosts.txt       the terms in a file, one or more per line (blank lines
//	                 and lines starting with # are skipped), as one term:
//	                 the union of what they select
//
// Matching ignores case. A term prefixed with & intersects and one
// prefixed with ! excludes; the result is, as in Ansible, the union of the
// plain terms (every host when there is none), intersected with each &
// term, less each ! term:
//
//	web,db           the web and db groups
//	web,&dc1         the web hosts that are also in dc1
//	all,!tag:os=2003 every host but those tagged os=2003
//	!@broken.txt     every host but those listed in broken.txt
//
// A term that selects no host is an error that names it and suggests a
// close name; an empty pattern selects every host.
package inventory
