-- 0005_screening: household GBV screens and school early-warning screens
-- (DOMAIN.md §2, §3). Every screening is kept, so a child's risk can be
-- followed term by term. Only the colour is in clear: the answers are
-- AES-256-GCM sealed by the bot with the case code as additional data,
-- and NULL when no data key is set up.
CREATE TABLE screenings (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases(id),
    kind           TEXT    NOT NULL,  -- gbv | ews
    member_id      INTEGER REFERENCES members(id),
    at             INTEGER NOT NULL,
    level          TEXT    NOT NULL,  -- green | yellow | red
    answers_sealed BLOB
);
CREATE INDEX screenings_case ON screenings(case_id, at);
