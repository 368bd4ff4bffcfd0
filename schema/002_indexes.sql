-- SPDX-License-Identifier: MIT
-- Lookups that grow with history: the audit log filtered by user and time,
-- a user's tokens, and the sweep of expired sessions.
CREATE INDEX audit_user_time ON audit(user, time);
CREATE INDEX audit_time ON audit(time);
CREATE INDEX tokens_user ON tokens(user_id);
CREATE INDEX sessions_expires ON sessions(expires);
CREATE INDEX children_key_in ON children(key_in);
CREATE INDEX children_key_out ON children(key_out);
CREATE INDEX connections_psk ON connections(psk);
