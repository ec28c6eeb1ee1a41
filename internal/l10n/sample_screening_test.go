package l10n_test

// The screenings' template keys (/gbv, /ews, /screens) and their messages
// that read the same in every language.
func init() {
	sample["Flags"] = "A, C"
	sample["Level"] = "red"
	// A date line of /screens: date, kind and colour words come translated.
	sameAllowed["screens_line"] = true
}
