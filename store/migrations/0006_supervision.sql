-- 0006_supervision: the monthly peer-supervision check-in (DOMAIN.md §4).
-- A round belongs to a ward; each CCW of the ward invited to it has a row
-- in supervision_checkins, filled in when they answer. Times are INTEGER
-- unix milliseconds UTC; month is the calendar month of started_at in the
-- district's time zone ("2026-01"), kept so "two months running" does not
-- depend on a time-zone conversion in SQL.
CREATE TABLE supervision_rounds (
    id          INTEGER PRIMARY KEY,
    district_id INTEGER NOT NULL REFERENCES districts(id),
    ward        INTEGER NOT NULL,
    started_by  INTEGER REFERENCES members(id), -- NULL: the scheduler
    started_at  INTEGER NOT NULL,
    closes_at   INTEGER NOT NULL,
    reminded_at INTEGER,
    closed_at   INTEGER,
    month       TEXT    NOT NULL
);
CREATE INDEX supervision_rounds_ward ON supervision_rounds(district_id, ward, started_at);
-- At most one open round per ward, whatever the races.
CREATE UNIQUE INDEX supervision_rounds_open ON supervision_rounds(district_id, ward) WHERE closed_at IS NULL;

-- The answers are numbers, choice values and at most a case code: nothing
-- that names a child. answers keeps every answer of the flow as JSON, so a
-- question program staff add to the flow file is kept too.
CREATE TABLE supervision_checkins (
    round_id       INTEGER NOT NULL REFERENCES supervision_rounds(id),
    member_id      INTEGER NOT NULL REFERENCES members(id),
    answered_at    INTEGER,
    open_cases     INTEGER NOT NULL DEFAULT 0,
    visits         INTEGER NOT NULL DEFAULT 0,
    stuck_code     TEXT    NOT NULL DEFAULT '',
    concern        INTEGER NOT NULL DEFAULT 0,
    referrals_made INTEGER NOT NULL DEFAULT 0,
    referrals_done INTEGER NOT NULL DEFAULT 0,
    challenge      TEXT    NOT NULL DEFAULT '',
    training       TEXT    NOT NULL DEFAULT '',
    burnout        INTEGER NOT NULL DEFAULT 0,
    who5           INTEGER,
    answers        TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (round_id, member_id)
) WITHOUT ROWID;
CREATE INDEX supervision_checkins_member ON supervision_checkins(member_id);
