package flows_test

// Golden transcripts of the monthly supervision check-in and the WHO-5
// items: each language once through (refused answers included), and
// /cancel halfway in each language.
func init() {
	transcripts = append(transcripts,
		// en: refused numbers, a refused yes/no, a stuck case, burnout 4.
		// (Case codes are checked by the bot's Env.CheckCode, not here.)
		transcript{flow: "checkin", lang: "en", inputs: []string{
			"six", "6", "120", "4", "maybe", "yes", "DEM-00013", "no",
			"2", "1", "9", "transport", "4", "5",
		}},
		// sn: words in Shona, no stuck case (the case-code step is
		// skipped), a concern for the CWO, burnout 2.
		transcript{flow: "checkin", lang: "sn", inputs: []string{
			"5", "3", "kwete", "hongu", "0", "-1", "0", "2", "0", "2", "kushandisa foni ne data",
		}},
		// nd: burnout exactly at the threshold (3), an out-of-range
		// choice.
		transcript{flow: "checkin", lang: "nd", inputs: []string{
			"7", "10", "yebo", "DEM 00013", "hatshi", "3", "3", "8", "6", "3", "8", "5",
		}},
		transcript{flow: "checkin", lang: "en", name: "cancel", inputs: []string{"4", "2", "/cancel"}},
		transcript{flow: "checkin", lang: "sn", name: "cancel", inputs: []string{"4", "2", "hongu", "/cancel"}},
		transcript{flow: "checkin", lang: "nd", name: "cancel", inputs: []string{"4", "2", "hatshi", "yebo", "1", "/cancel"}},
		// WHO-5: raw 12 (poor) in en, 13 (just not poor) in sn, a refused
		// answer in nd.
		transcript{flow: "who5", lang: "en", inputs: []string{"3", "3", "4", "4", "4"}},
		transcript{flow: "who5", lang: "sn", inputs: []string{"nguva dzose", "2", "4", "5", "5"}},
		transcript{flow: "who5", lang: "nd", inputs: []string{"7", "1", "1", "2", "/cancel"}},
	)
}
