package bot

// The household GBV screening (/gbv CODE) and the school early-warning
// questions (/ews CODE): private flows, scored by casework, results sealed.

// screeningTx is what the screenings need of the store.
type screeningTx interface{}

func screeningActions() map[string]action { return nil }

// showScreens lists a case's screenings to those allowed to read them.
func (t *turn) showScreens(arg string) error {
	if t.private() {
		t.reply(t.loc().T("unknown_command", map[string]any{"Command": "/screens"}))
	}
	return nil
}
