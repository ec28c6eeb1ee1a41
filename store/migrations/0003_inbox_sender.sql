-- WhatsApp message ids are unique per sender, not per chat: two members of
-- a group may send messages with the same id. The dedupe key becomes
-- (platform, chat, sender, msg_id). SQLite cannot alter a UNIQUE
-- constraint, so the table is rebuilt.
CREATE TABLE inbox_new (
    seq         INTEGER PRIMARY KEY,
    platform    TEXT    NOT NULL,
    chat        TEXT    NOT NULL,
    sender      TEXT    NOT NULL,
    msg_id      TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    payload     TEXT,
    handled_at  INTEGER,
    error       TEXT,
    UNIQUE (platform, chat, sender, msg_id)
);
INSERT INTO inbox_new SELECT seq, platform, chat, sender, msg_id, received_at, payload, handled_at, error FROM inbox;
DROP TABLE inbox;
ALTER TABLE inbox_new RENAME TO inbox;
CREATE INDEX inbox_unhandled ON inbox(seq) WHERE handled_at IS NULL;
