// SPDX-License-Identifier: MIT
/*
 * The exchanges we initiate, as a table of plain build/process functions
 * (STYLE.md item 6). sa_run() takes the next queued task, builds its request
 * with the row's build function and sends it; the response goes to the
 * row's process function. The responder side dispatches on the exchange
 * type in ike_engine.c.
 */
#include "ike_int.h"

const struct task_ops task_table[TASK_COUNT] = {
	[TASK_NONE] = { "none", 0, NULL, NULL },
	[TASK_IKE_INIT] = { "IKE_SA_INIT", EXCH_IKE_SA_INIT, ike_init_build, ike_init_process },
	[TASK_IKE_AUTH] = { "IKE_AUTH", EXCH_IKE_AUTH, auth_build, auth_process },
	[TASK_CHILD_CREATE] = { "CREATE_CHILD_SA (new child)", EXCH_CREATE_CHILD_SA,
				child_create_build, child_create_process },
	[TASK_CHILD_REKEY] = { "CREATE_CHILD_SA (child rekey)", EXCH_CREATE_CHILD_SA,
			       child_rekey_build, child_rekey_process },
	[TASK_IKE_REKEY] = { "CREATE_CHILD_SA (IKE rekey)", EXCH_CREATE_CHILD_SA,
			     ike_rekey_build, ike_rekey_process },
	[TASK_CHILD_DELETE] = { "INFORMATIONAL (delete child)", EXCH_INFORMATIONAL,
				child_delete_build, child_delete_process },
	[TASK_IKE_DELETE] = { "INFORMATIONAL (delete IKE)", EXCH_INFORMATIONAL,
			      ike_delete_build, ike_delete_process },
	[TASK_DPD] = { "INFORMATIONAL (liveness)", EXCH_INFORMATIONAL, dpd_build, dpd_process },
};
