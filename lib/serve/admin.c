/* The admin API: what a remote mlp deploy (the http:// target) calls. It
 * exists only when the server was started with a token (--token-file). */
#include "internal.h"

int
sv_admin_route(struct server *s, struct MHD_Connection *conn,
    const char *url, const char *method, const struct mlp_buf *body,
    struct reply *r)
{
	return 0;
}
