// Package locales embeds carenet's message files, one go-i18n message per
// user-facing string: active.{en,sn,nd}.toml for the core and one
// <area>.{en,sn,nd}.toml per feature area (closure, screening,
// supervision), so each area's text can be edited on its own. English is the reference; Shona and isiNdebele lines that need a
// native speaker's check carry a "# check:" comment.
package locales

import "embed"

// FS holds the *.<lang>.toml files at its root.
//
//go:embed *.toml
var FS embed.FS
