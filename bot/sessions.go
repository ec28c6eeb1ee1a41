package bot

import (
	"encoding/base64"
	"fmt"
	"maps"
	"strings"

	"carenet/flows"
	"carenet/internal/chat"
	"time"
)

// sealedSessions seals the answers of sensitive steps (a child's name, the
// GBV and early-warning answers, a conference's decisions) in the stored
// session, so a flow in progress keeps them encrypted at rest like the
// records it ends in. Without a data key they stay as they are: there is
// nothing to seal with, and the flows that store them say so at the end.
type sealedSessions struct {
	Tx
	b *Bot
}

// sealedPrefix marks a sealed answer; no typed answer starts with a NUL.
const sealedPrefix = "\x00sealed:"

func (s sealedSessions) PutSession(conv chat.Conversation, sess flows.Session, now time.Time) error {
	sealed, err := s.b.sealAnswers(sess)
	if err != nil {
		return err
	}
	return s.Tx.PutSession(conv, sealed, now)
}

func (s sealedSessions) Session(conv chat.Conversation) (*flows.Session, error) {
	sess, err := s.Tx.Session(conv)
	if err != nil || sess == nil {
		return sess, err
	}
	opened, err := s.b.openAnswers(*sess)
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", conv, err)
	}
	return &opened, nil
}

// sensitiveSteps lists the steps of a session's flow whose answers are
// sealed.
func (b *Bot) sensitiveSteps(s flows.Session) []string {
	f, ok := b.engine.Flow(s.Flow)
	if !ok {
		return nil
	}
	var ids []string
	for _, st := range f.Steps {
		if st.Sensitive {
			ids = append(ids, st.ID)
		}
	}
	return ids
}

func answerAAD(s flows.Session, step string) []byte { return []byte(s.Flow + "/" + step) }

func (b *Bot) sealAnswers(s flows.Session) (flows.Session, error) {
	if !b.sealer.HasKey() {
		return s, nil
	}
	steps := b.sensitiveSteps(s)
	if len(steps) == 0 {
		return s, nil
	}
	s.Answers = maps.Clone(s.Answers)
	for _, id := range steps {
		v, ok := s.Answers[id]
		if !ok || v == "" || strings.HasPrefix(v, sealedPrefix) {
			continue
		}
		sealed, err := b.sealer.Seal([]byte(v), answerAAD(s, id))
		if err != nil {
			return s, fmt.Errorf("seal answer %s/%s: %w", s.Flow, id, err)
		}
		s.Answers[id] = sealedPrefix + base64.StdEncoding.EncodeToString(sealed)
	}
	return s, nil
}

func (b *Bot) openAnswers(s flows.Session) (flows.Session, error) {
	var opened map[string]string
	for k, v := range s.Answers {
		enc, ok := strings.CutPrefix(v, sealedPrefix)
		if !ok {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return s, fmt.Errorf("answer %s: %w", k, err)
		}
		plain, err := b.sealer.Open(raw, answerAAD(s, k))
		if err != nil {
			return s, fmt.Errorf("open answer %s: %w", k, err)
		}
		if opened == nil {
			opened = maps.Clone(s.Answers)
		}
		opened[k] = string(plain)
	}
	if opened != nil {
		s.Answers = opened
	}
	return s, nil
}
