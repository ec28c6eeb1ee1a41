package bot

import (
	"fmt"
	"maps"

	"carenet/flows"
	"carenet/internal/casework"
	"carenet/internal/chat"
)

// action is the domain code a completed flow runs, named by the flow's
// `action:` key. It runs inside the message's transaction.
type action func(t *turn, conv chat.Conversation, res flows.Result) error

func (b *Bot) flowActions() map[string]action {
	m := map[string]action{
		"set_language":      setLanguage,
		"open_case":         openCase,
		"record_assessment": recordAssessment,
		"add_plan_action":   addPlanAction,
		"record_visit":      recordVisit,
		"add_referral":      addReferral,
		"record_review":     recordReview,
	}
	// Each feature area declares its own actions in its own file.
	for _, area := range []map[string]action{closureActions(), screeningActions(), supervisionActions()} {
		maps.Copy(m, area)
	}
	return m
}

func setLanguage(t *turn, conv chat.Conversation, res flows.Result) error {
	lang := res.Answers["language"]
	if !casework.ValidLanguage(lang) {
		return fmt.Errorf("set_language: bad answer %q", lang)
	}
	if err := t.tx.SetMemberLang(t.member.ID, lang); err != nil {
		return fmt.Errorf("set language: %w", err)
	}
	t.member.Lang = lang
	if err := t.tx.Audit(casework.AuditEntry{At: t.now, MemberID: t.member.ID, Action: "member.lang",
		Chat: string(t.in.Platform) + ":" + string(t.in.Chat), Detail: lang}); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	t.say(conv.Chat, []flows.Output{{Msg: "lang_set"}})
	return nil
}
