-- Cases and what hangs off them: records (assessments, plans, visits,
-- referrals, reviews, notes), deadlines, and invite codes.
CREATE TABLE cases (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    district_id INTEGER NOT NULL REFERENCES districts(id),
    serial      INTEGER NOT NULL,
    ward        INTEGER NOT NULL,
    ccw_id      INTEGER NOT NULL REFERENCES members(id),
    kind        TEXT    NOT NULL,
    statutory   INTEGER NOT NULL DEFAULT 0,
    status      TEXT    NOT NULL DEFAULT 'open',
    opened_at   INTEGER NOT NULL,
    closed_at   INTEGER,
    concerns    TEXT    NOT NULL DEFAULT '',
    intake      TEXT    NOT NULL DEFAULT '{}',
    -- The child's name or initials, AES-256-GCM sealed by the bot; NULL
    -- when not given. Never stored in clear.
    name_sealed BLOB,
    UNIQUE (district_id, serial)
);
CREATE INDEX cases_ward ON cases(district_id, ward);
CREATE INDEX cases_ccw ON cases(ccw_id);

CREATE TABLE case_records (
    id        INTEGER PRIMARY KEY,
    case_id   INTEGER NOT NULL REFERENCES cases(id),
    kind      TEXT    NOT NULL,
    member_id INTEGER REFERENCES members(id),
    at        INTEGER NOT NULL,
    data      TEXT    NOT NULL DEFAULT '{}',
    chat      TEXT
);
CREATE INDEX case_records_case ON case_records(case_id, at);

CREATE TABLE deadlines (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    kind        TEXT    NOT NULL,
    due_at      INTEGER NOT NULL,
    done_at     INTEGER,
    reminded_at INTEGER,
    lccw_at     INTEGER,
    cwo_at      INTEGER
);
CREATE INDEX deadlines_open ON deadlines(due_at) WHERE done_at IS NULL;
CREATE INDEX deadlines_case ON deadlines(case_id);

CREATE TABLE invites (
    code        TEXT    PRIMARY KEY,
    role        TEXT    NOT NULL,
    district_id INTEGER NOT NULL REFERENCES districts(id),
    ward        INTEGER NOT NULL DEFAULT 0,
    lang        TEXT    NOT NULL DEFAULT '',
    created_by  INTEGER REFERENCES members(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_by     INTEGER REFERENCES members(id),
    used_at     INTEGER
);

-- The language of a group's one-line notices (the linking member's).
ALTER TABLE chats ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';
