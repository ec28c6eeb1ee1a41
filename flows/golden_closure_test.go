package flows_test

// The closure and conference flows' transcripts (issue 7), each language
// with refused answers, and a conference cancelled halfway.
func init() {
	transcripts = append(transcripts,
		transcript{flow: "conference", lang: "en", inputs: []string{"DEM-00013",
			"tomorrow", "yesterday", // date: in the future, ok
			"4", "multi-agency meeting", // type: out of range, by word
			"1 13", "1 2 5 7", // participants: out of range, ok
			"Fees first; the uncle stays away from the home.",
			"continue",
			"1", "5", "20/1/2026", // action 1: BEAM, school
			"maybe", "yes", // another? refused, yes
			"7", "ccw", "1/8/2026", "31/1/2026", // action 2: PSS, CCW, too far, ok
			"yes",
			"8", "2", "today", // action 3: home visits, LCCW
			"yes", "1/8/2026", "5/7/2026"}},
		transcript{flow: "conference", lang: "sn", inputs: []string{"DEM-00013",
			"nhasi", "1", "1 5 6", "Mhuri ichabatsirwa nezvikoro.", "1",
			"9", // no actions agreed
			"hongu", "nhasi", "5/7/2026"}},
		transcript{flow: "conference", lang: "nd", inputs: []string{"DEM-00013",
			"izolo", "2", "1 2 3 10", "Udaba luqhubeke.", "4",
			"4", "6", "15/1/2026", "hatshi",
			"yebo", "1/6/2026"}},
		transcript{flow: "conference", lang: "en", name: "cancel", inputs: []string{"DEM-00013", "today", "1", "1 5", "/cancel"}},
		transcript{flow: "conference", lang: "sn", name: "cancel", inputs: []string{"DEM-00013", "nhasi", "2", "/cancel"}},
		transcript{flow: "conference", lang: "nd", name: "cancel", inputs: []string{"DEM-00013", "lamuhla", "/cancel"}},
		transcript{flow: "close", lang: "en", inputs: []string{"DEM-00013", "5", "4", "Harare"}},
		transcript{flow: "close", lang: "sn", inputs: []string{"DEM-00013", "1"}},
		transcript{flow: "close", lang: "nd", inputs: []string{"DEM-00013", "0", "2"}},
		transcript{flow: "approve", lang: "en", inputs: []string{"DEM-00013", "3", "approve closing"}},
		transcript{flow: "approve", lang: "sn", inputs: []string{"DEM-00013", "2"}},
		transcript{flow: "approve", lang: "nd", inputs: []string{"DEM-00013", "1"}},
	)
}
