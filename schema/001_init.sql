-- SPDX-License-Identifier: MIT
-- secgw-agent's store: the configuration (connections, children, secrets), its
-- history (revisions and their row-level changes), and the people and scripts
-- allowed to change it (users, tokens, sessions, audit).
--
-- Configuration documents are kept as JSON text exactly in the shape of
-- docs/config.md (defaults filled in), so the API, the push to secgw-iked and an
-- export read the same bytes. Columns outside the JSON are what SQL needs to
-- enforce: unique names, order, and references to secrets.

CREATE TABLE revisions (
	number  INTEGER PRIMARY KEY,       -- the global revision; ETags derive from it
	time    INTEGER NOT NULL,          -- unix seconds
	author  TEXT NOT NULL,             -- user name (or "token:NAME")
	source  TEXT NOT NULL,             -- client address
	comment TEXT NOT NULL DEFAULT '',  -- X-Secgw-Comment
	summary TEXT NOT NULL DEFAULT ''   -- e.g. "connection.create hq"
);

-- What each revision changed, one row per object: enough to diff any two
-- revisions and to rebuild the configuration of any revision (rollback).
-- kind 'connection': old/new are the whole connection document with children.
-- kind 'secret': old/new are {"name","type"} only; values are never recorded.
CREATE TABLE revision_changes (
	revision INTEGER NOT NULL REFERENCES revisions(number) ON DELETE CASCADE,
	seq      INTEGER NOT NULL,
	kind     TEXT NOT NULL CHECK (kind IN ('connection', 'secret')),
	name     TEXT NOT NULL,
	old      TEXT,                     -- NULL: the object was added
	new      TEXT,                     -- NULL: the object was removed
	PRIMARY KEY (revision, seq)
);

CREATE TABLE secrets (
	name     TEXT PRIMARY KEY,
	type     TEXT NOT NULL CHECK (type IN ('psk', 'key')),
	nonce    BLOB NOT NULL,            -- crypto_secretbox nonce
	box      BLOB NOT NULL,            -- the value sealed under the master key
	created  INTEGER NOT NULL,
	updated  INTEGER NOT NULL,
	revision INTEGER NOT NULL          -- last revision that changed it
);

CREATE TABLE connections (
	id       INTEGER PRIMARY KEY,
	name     TEXT NOT NULL UNIQUE,
	config   TEXT NOT NULL,            -- the connection without "children"
	psk      TEXT REFERENCES secrets(name),
	created  INTEGER NOT NULL,
	updated  INTEGER NOT NULL,
	revision INTEGER NOT NULL          -- last revision that changed it or a child
);

CREATE TABLE children (
	conn_id  INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
	name     TEXT NOT NULL,
	position INTEGER NOT NULL,         -- order within the connection
	config   TEXT NOT NULL,
	key_in   TEXT REFERENCES secrets(name),
	key_out  TEXT REFERENCES secrets(name),
	PRIMARY KEY (conn_id, name)
);

CREATE TABLE users (
	id      INTEGER PRIMARY KEY,
	name    TEXT NOT NULL UNIQUE,
	role    TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
	pwhash  TEXT NOT NULL,             -- crypto_pwhash_str (Argon2id)
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL
);

-- Bearer tokens: only a hash is kept; the token itself is shown once.
CREATE TABLE tokens (
	id      INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	name    TEXT NOT NULL,
	hash    BLOB NOT NULL UNIQUE,
	created INTEGER NOT NULL,
	expires INTEGER,                   -- NULL: never
	revoked INTEGER                    -- NULL: valid; else when it was revoked
);

-- Web sessions (cookie); the cookie value is stored hashed.
CREATE TABLE sessions (
	id      INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	hash    BLOB NOT NULL UNIQUE,
	csrf    TEXT NOT NULL,
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL,
	source  TEXT NOT NULL
);

CREATE TABLE audit (
	id       INTEGER PRIMARY KEY,
	time     INTEGER NOT NULL,
	user     TEXT NOT NULL,            -- "" when nobody was authenticated
	source   TEXT NOT NULL,
	action   TEXT NOT NULL,            -- e.g. connection.create, login.failed
	target   TEXT NOT NULL DEFAULT '',
	status   INTEGER NOT NULL,         -- the HTTP status answered
	revision INTEGER,                  -- the revision it created, if any
	detail   TEXT NOT NULL DEFAULT ''
);
