package main

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
)

// The conventional commands: version, help and shell completion.

const caUsage = `usage: sioproxy ca [--ca-dir DIR]

Creates the interception CA for --mode forward if it does not exist yet,
and prints where it is and how to make clients trust it.

  --ca-dir DIR   where the CA is kept (default: the user config dir)
`

const completionUsage = `usage: sioproxy completion bash|zsh|fish

Prints a shell completion script for subcommands and flags:

  bash:  source <(sioproxy completion bash)       (e.g. in ~/.bashrc)
  zsh:   source <(sioproxy completion zsh)        (after compinit, in ~/.zshrc)
  fish:  sioproxy completion fish > ~/.config/fish/completions/sioproxy.fish
`

const helpUsage = `usage: sioproxy help [command]

Prints the usage of sioproxy or of one of its commands: demo, replay,
export, ca, doctor, report, version, completion.
`

// commandUsage is each command's usage text; completion reads the flags
// from them, so what is offered is what is documented.
func commandUsage(cmd string) (string, bool) {
	switch cmd {
	case "":
		return usageText, true
	case "demo":
		return demoUsage, true
	case "replay":
		return replayUsage, true
	case "export":
		return exportUsage, true
	case "ca":
		return caUsage, true
	case "doctor":
		return doctorUsage, true
	case "report":
		return reportUsage, true
	case "inject":
		return injectUsage, true
	case "sessions":
		return sessionsUsage, true
	case "completion":
		return completionUsage, true
	case "help":
		return helpUsage, true
	case "version":
		return "usage: sioproxy version (or sioproxy --version)\n\nPrints the module version, the VCS revision and the Go version sioproxy\nwas built with.\n", true
	}
	return "", false
}

// runHelp is `sioproxy help [command]`.
func runHelp(args []string, stdout io.Writer) error {
	switch len(args) {
	case 0:
		io.WriteString(stdout, usageText)
		return nil
	case 1:
		if u, ok := commandUsage(args[0]); ok && args[0] != "" {
			io.WriteString(stdout, u)
			return nil
		}
		return usageError{fmt.Errorf("help: unknown command %q (commands: %s)", args[0], strings.Join(subcommands, ", "))}
	}
	return usageError{fmt.Errorf("help: one command at a time, got %q", strings.Join(args, " "))}
}

// versionText is what `sioproxy version` prints, from the build info the
// Go toolchain embeds.
func versionText(bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return "sioproxy: no build information (built without module support)\n"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, when, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", modified"
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sioproxy %s\n", v)
	if rev == "" {
		b.WriteString("revision: unknown (built without VCS information, e.g. -buildvcs=false)\n")
	} else {
		fmt.Fprintf(&b, "revision: %s (%s%s)\n", rev, when, dirty)
	}
	fmt.Fprintf(&b, "go:       %s\n", bi.GoVersion)
	return b.String()
}

func runVersion(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			u, _ := commandUsage("version")
			io.WriteString(stdout, u)
			return nil
		}
		return usageError{fmt.Errorf("version: unexpected argument %q", args[0])}
	}
	bi, ok := debug.ReadBuildInfo()
	io.WriteString(stdout, versionText(bi, ok))
	return nil
}

// flagRE finds a flag and, if the usage names one, its value's
// placeholder (an upper-case word such as URL or FILE).
var flagRE = regexp.MustCompile(`--([a-z][a-z0-9-]*)(?:[ =]([A-Z][A-Z|]*)\b)?`)

type complFlag struct {
	name  string
	value bool // takes a value
}

// usageFlags lists the flags a usage text documents, sorted: those that
// begin a line of the flag list and those of the synopsis lines (flags
// named in descriptions, like Chromium's --proxy-server, are not ours).
func usageFlags(usage string) []complFlag {
	var matches [][]string
	for _, line := range strings.Split(usage, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "usage:") || strings.HasPrefix(t, "sioproxy "):
			matches = append(matches, flagRE.FindAllStringSubmatch(t, -1)...)
		case strings.HasPrefix(t, "--"):
			matches = append(matches, flagRE.FindStringSubmatch(t))
		}
	}
	seen := map[string]bool{}
	var out []complFlag
	for _, m := range matches {
		if m[1] == "help" {
			continue
		}
		if _, dup := seen[m[1]]; dup {
			seen[m[1]] = seen[m[1]] || m[2] != ""
			continue
		}
		seen[m[1]] = m[2] != ""
		out = append(out, complFlag{name: m[1]})
	}
	for i := range out {
		out[i].value = seen[out[i].name]
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func flagWords(usage string) string {
	var w []string
	for _, f := range usageFlags(usage) {
		w = append(w, "--"+f.name)
	}
	return strings.Join(append(w, "--help"), " ")
}

// runCompletion is `sioproxy completion bash|zsh|fish`.
func runCompletion(args []string, stdout io.Writer) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		io.WriteString(stdout, completionUsage)
		return nil
	}
	if len(args) != 1 {
		return usageError{fmt.Errorf("completion: name one shell: bash, zsh or fish")}
	}
	switch args[0] {
	case "bash":
		io.WriteString(stdout, bashCompletion())
	case "zsh":
		io.WriteString(stdout, zshCompletion())
	case "fish":
		io.WriteString(stdout, fishCompletion())
	default:
		return usageError{fmt.Errorf("completion: shell %q: want bash, zsh or fish", args[0])}
	}
	return nil
}

func bashCompletion() string {
	var b strings.Builder
	b.WriteString(`# bash completion for sioproxy: source <(sioproxy completion bash)
_sioproxy() {
    local cur=${COMP_WORDS[COMP_CWORD]} cmd= i opts
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            ` + strings.Join(subcommands, "|") + `) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done
    case $cmd in
`)
	for _, c := range subcommands {
		u, _ := commandUsage(c)
		words := flagWords(u)
		switch c {
		case "help":
			words = strings.Join(subcommands, " ")
		case "completion":
			words = "bash zsh fish"
		}
		fmt.Fprintf(&b, "        %s) opts=%q ;;\n", c, words)
	}
	fmt.Fprintf(&b, "        *) opts=%q ;;\n", flagWords(usageText)+" "+strings.Join(subcommands, " "))
	b.WriteString(`    esac
    if [[ $cur == -* || -z $cmd || $cmd == help || $cmd == completion ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -o default -F _sioproxy sioproxy
`)
	return b.String()
}

func zshCompletion() string {
	var b strings.Builder
	b.WriteString(`#compdef sioproxy
# zsh completion for sioproxy: source <(sioproxy completion zsh) after compinit
_sioproxy() {
    local -a opts
    local cmd=${words[2]}
    case $cmd in
`)
	for _, c := range subcommands {
		u, _ := commandUsage(c)
		words := flagWords(u)
		switch c {
		case "help":
			words = strings.Join(subcommands, " ")
		case "completion":
			words = "bash zsh fish"
		}
		fmt.Fprintf(&b, "        %s) opts=(%s) ;;\n", c, words)
	}
	fmt.Fprintf(&b, "        *) cmd=; opts=(%s %s) ;;\n", flagWords(usageText), strings.Join(subcommands, " "))
	b.WriteString(`    esac
    if [[ $PREFIX == -* || -z $cmd || $cmd == help || $cmd == completion ]]; then
        compadd -- $opts
    else
        _files
    fi
}
compdef _sioproxy sioproxy
`)
	return b.String()
}

func fishCompletion() string {
	var b strings.Builder
	b.WriteString("# fish completion for sioproxy: sioproxy completion fish > ~/.config/fish/completions/sioproxy.fish\n")
	fmt.Fprintf(&b, "complete -c sioproxy -f -n __fish_use_subcommand -a '%s'\n", strings.Join(subcommands, " "))
	for _, f := range usageFlags(usageText) {
		fmt.Fprintf(&b, "complete -c sioproxy -n __fish_use_subcommand -l %s%s\n", f.name, fishValue(f))
	}
	for _, c := range subcommands {
		u, _ := commandUsage(c)
		switch c {
		case "help":
			fmt.Fprintf(&b, "complete -c sioproxy -f -n '__fish_seen_subcommand_from help' -a '%s'\n", strings.Join(subcommands, " "))
			continue
		case "completion":
			b.WriteString("complete -c sioproxy -f -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n")
			continue
		}
		for _, f := range usageFlags(u) {
			fmt.Fprintf(&b, "complete -c sioproxy -n '__fish_seen_subcommand_from %s' -l %s%s\n", c, f.name, fishValue(f))
		}
	}
	return b.String()
}

func fishValue(f complFlag) string {
	if f.value {
		return " -r"
	}
	return ""
}

// runMeta runs the conventional commands; ok is false for other commands.
func runMeta(cmd string, args []string, stdout *os.File) (err error, ok bool) {
	switch cmd {
	case "version":
		return runVersion(args, stdout), true
	case "help":
		return runHelp(args, stdout), true
	case "completion":
		return runCompletion(args, stdout), true
	}
	return nil, false
}
