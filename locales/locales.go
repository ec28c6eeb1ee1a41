// Package locales embeds carenet's message files: active.en.toml,
// active.sn.toml and active.nd.toml, one go-i18n message per user-facing
// string. English is the reference; Shona and isiNdebele lines that need a
// native speaker's check carry a "# check:" comment.
package locales

import "embed"

// FS holds the active.*.toml files at its root.
//
//go:embed active.*.toml
var FS embed.FS
