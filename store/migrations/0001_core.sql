-- 0001_core: members, districts, chats, inbox, outbox, conversations,
-- audit and kv. Times are INTEGER unix milliseconds UTC.

CREATE TABLE districts (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    code TEXT NOT NULL UNIQUE
);

CREATE TABLE members (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    district_id INTEGER REFERENCES districts(id),
    ward        INTEGER NOT NULL DEFAULT 0,
    lang        TEXT    NOT NULL DEFAULT '',
    unreachable INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

-- One member may hold several identities on one platform (a WhatsApp LID
-- and a phone-number JID), so the identity, not the member, is the key.
CREATE TABLE member_identities (
    platform  TEXT    NOT NULL,
    user_id   TEXT    NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    PRIMARY KEY (platform, user_id)
) WITHOUT ROWID;

CREATE INDEX member_identities_member ON member_identities(member_id, platform);

CREATE TABLE chats (
    platform          TEXT    NOT NULL,
    chat_id           TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    title             TEXT    NOT NULL DEFAULT '',
    district_id       INTEGER REFERENCES districts(id),
    ward              INTEGER NOT NULL DEFAULT 0,
    linked            INTEGER NOT NULL DEFAULT 0,
    active            INTEGER NOT NULL DEFAULT 1,
    linked_at         INTEGER,
    notified_unlinked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (platform, chat_id)
) WITHOUT ROWID;

-- The inbox row outlives its payload: after handling only the dedupe key
-- (platform, chat, msg_id) and the outcome are kept.
CREATE TABLE inbox (
    seq         INTEGER PRIMARY KEY,
    platform    TEXT    NOT NULL,
    chat        TEXT    NOT NULL,
    sender      TEXT    NOT NULL,
    msg_id      TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    payload     TEXT,
    handled_at  INTEGER,
    error       TEXT,
    UNIQUE (platform, chat, msg_id)
);

CREATE INDEX inbox_unhandled ON inbox(seq) WHERE handled_at IS NULL;

-- ref survives MarkSent (which empties payload) so a poll vote can still be
-- traced to what the poll was about.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY,
    platform   TEXT    NOT NULL,
    chat       TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    ref        TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    next_at    INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    sent_at    INTEGER,
    sent_id    TEXT,
    poll_id    TEXT,
    secret     TEXT,
    failed_at  INTEGER,
    last_error TEXT
);

CREATE INDEX outbox_due ON outbox(platform, next_at)
    WHERE sent_at IS NULL AND failed_at IS NULL;

CREATE INDEX outbox_poll ON outbox(platform, poll_id)
    WHERE poll_id IS NOT NULL;

CREATE TABLE conversations (
    platform    TEXT    NOT NULL,
    chat        TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    session     TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    reminded_at INTEGER,
    PRIMARY KEY (platform, chat, user_id)
) WITHOUT ROWID;

CREATE INDEX conversations_idle ON conversations(updated_at);

CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    member_id INTEGER,
    action    TEXT    NOT NULL,
    case_id   INTEGER,
    chat      TEXT,
    detail    TEXT
);

CREATE INDEX audit_case ON audit(case_id) WHERE case_id IS NOT NULL;
CREATE INDEX audit_action ON audit(action);

CREATE TABLE kv (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
