// Package config reads a service's configuration from flags, with an
// environment variable overriding each flag's default: --nats-url ⇔
// NATS_URL. A flag given on the command line wins over the environment.
package config

import (
	"flag"
	"fmt"
	"strings"
)

// EnvName is the environment variable of a flag: upper case, - → _.
func EnvName(flagName string) string {
	return strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Parse parses args, then sets every flag not given on the command line
// from its environment variable, if set.
func Parse(fs *flag.FlagSet, args []string, lookup func(string) (string, bool)) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		if v, ok := lookup(EnvName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("config: %s=%q: %w", EnvName(f.Name), v, e)
			}
		}
	})
	return err
}
