-- SPDX-License-Identifier: MIT
-- History, diff and rollback read revision_changes by object across a range of
-- revisions; commit-confirmed keeps its one pending change on disk so that a
-- restart after the deadline still reverts it.

-- "Every change of this object after revision N": rollback and diff walk this.
CREATE INDEX revision_changes_object ON revision_changes(kind, name, revision);

-- At most one change awaits confirmation (the agent refuses other changes
-- while it does). revert_to is the revision whose configuration is restored
-- when the deadline passes; pruning never removes it or anything after it.
CREATE TABLE pending_confirm (
	id        INTEGER PRIMARY KEY CHECK (id = 1),
	revision  INTEGER NOT NULL,        -- the change that awaits confirmation
	revert_to INTEGER NOT NULL,        -- restored at the deadline (0: the empty configuration)
	deadline  INTEGER NOT NULL,        -- unix seconds
	author    TEXT NOT NULL,
	source    TEXT NOT NULL,
	created   INTEGER NOT NULL
);
