package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"strings"
)

// parseInjectArgs splits `sioproxy inject`'s command line into flags
// (parsed into fs) and positionals (EVENT, then JSON arguments). Flags may
// come anywhere, as for the other subcommands, but a JSON argument may
// start with '-' too (-5): after EVENT, an argument that parses as JSON is
// an argument, not a flag, and "--" ends the flags (for an EVENT that
// starts with '-').
func parseInjectArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos, flags []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
			continue
		case a == "-" || !strings.HasPrefix(a, "-"):
			pos = append(pos, a)
			continue
		case len(pos) > 0 && json.Valid([]byte(a)):
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if f == nil {
			if len(pos) > 0 && name != "h" && name != "help" {
				return nil, fmt.Errorf("%s: argument %q is neither a flag nor JSON (quote strings: '\"%s\"'; put arguments after --)",
					fs.Name(), a, strings.ReplaceAll(a, `"`, `\"`))
			}
			continue // fs.Parse names the problem, or asks for help
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); hasValue || (ok && b.IsBoolFlag()) {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	if err := fs.Parse(flags); err != nil {
		if err == flag.ErrHelp {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %s", fs.Name(), strings.Replace(err.Error(), " -", " --", 1))
	}
	if fs.NArg() > 0 {
		// Only a flag's missing value can land here; fs.Parse took it.
		return nil, fmt.Errorf("%s: unexpected %q", fs.Name(), fs.Arg(0))
	}
	return pos, nil
}
