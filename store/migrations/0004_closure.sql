-- Closure by group consensus: a proposal per attempt, the latest vote of
-- each eligible member, and the voters who were not eligible (counted,
-- otherwise ignored).
CREATE TABLE closures (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    criterion     INTEGER NOT NULL CHECK (criterion BETWEEN 1 AND 4),
    transfer_to   INTEGER REFERENCES districts(id),
    -- NULL: proposed by carenet itself (the child turned 18).
    proposed_by   INTEGER REFERENCES members(id),
    proposed_at   INTEGER NOT NULL,
    closes_at     INTEGER NOT NULL,
    reminded_at   INTEGER,
    state         TEXT    NOT NULL DEFAULT 'voting',
    outcome       TEXT,
    decided_at    INTEGER,
    cwo_by        INTEGER REFERENCES members(id),
    cwo_at        INTEGER,
    provincial_by INTEGER REFERENCES members(id),
    provincial_at INTEGER
);
-- One live proposal per case.
CREATE UNIQUE INDEX closures_active ON closures(case_id)
    WHERE state IN ('voting', 'awaiting_cwo', 'awaiting_provincial');
CREATE INDEX closures_voting ON closures(closes_at) WHERE state = 'voting';

CREATE TABLE closure_votes (
    closure_id INTEGER NOT NULL REFERENCES closures(id),
    member_id  INTEGER NOT NULL REFERENCES members(id),
    -- Zero-based poll option; NULL once the vote was withdrawn.
    ballot     INTEGER,
    at         INTEGER NOT NULL,
    PRIMARY KEY (closure_id, member_id)
) WITHOUT ROWID;

CREATE TABLE closure_ignored (
    closure_id INTEGER NOT NULL REFERENCES closures(id),
    voter      TEXT    NOT NULL, -- platform:user id
    PRIMARY KEY (closure_id, voter)
) WITHOUT ROWID;
