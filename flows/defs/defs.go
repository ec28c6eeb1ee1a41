// Package defs holds the embedded flow definitions: one versioned YAML file
// per flow (intake, lang, ...), loaded and validated by flows.Load at start-up.
// An override directory set in the config may replace or add flows.
package defs

import "embed"

// FS holds the *.yaml flow files at its root.
//
//go:embed *.yaml
var FS embed.FS
