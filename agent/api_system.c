// SPDX-License-Identifier: MIT
/* /health (no auth), /metrics (Prometheus text), /openapi.json (this API's description). */
#include "agent/agent.h"
#include "agent/embed.h"
#include "agent/routes.h"

#include <stdlib.h>

enum hres api_health(struct req *r)
{
	struct agent *ag = r->ag;

	/* Anyone may ask; it says nothing about the configuration but its revision. */
	bool up = engine_connected(ag->engine);
	char err[ENGINE_ERROR_TEXT];

	engine_last_error(ag->engine, err, sizeof(err));
	return reply_json(r, 200, json_pack("{s:s, s:s, s:I, s:s, s:b, s:I, s:s?, s:o}", "status", "ok",
					    "version", AGENT_VERSION,
					    "revision", (json_int_t)atomic_load(&ag->revision),
					    "engine", up ? "up" : "down", "engine_connected", up,
					    "revision_applied", (json_int_t)engine_revision_applied(ag->engine),
					    "engine_error", err[0] ? err : NULL,
					    "pending_confirm", confirm_json(&ag->confirm)));
}

enum hres api_metrics(struct req *r)
{
	size_t len = 0;
	char *text = metrics_render(r->ag, &len);

	if (!text)
		return H_FATAL;
	return reply_buf(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, free, text);
}

enum hres api_openapi(struct req *r)
{
	return reply_buf(r, 200, "application/json", embed_openapi.data, embed_openapi.len, NULL, NULL);
}
