/* Unit tests of lib/registry: URIs, names, versions, aliases and their
 * history, stages, tags and soft delete, on a real database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "tap.h"

static void
test_uris(void)
{
	struct mlp_model_uri u;
	struct mlp_err err;

	ok(mlp_model_uri_parse("models:/fraud/3", &u, &err) == 0 &&
	    strcmp(u.name, "fraud") == 0 && u.version == 3, "NAME/VERSION");
	mlp_model_uri_release(&u);
	ok(mlp_model_uri_parse("models:/fraud@champion", &u, &err) == 0 &&
	    strcmp(u.alias, "champion") == 0, "NAME@ALIAS");
	mlp_model_uri_release(&u);
	ok(mlp_model_uri_parse("models:/fraud/latest", &u, &err) == 0 &&
	    u.latest, "NAME/latest");
	mlp_model_uri_release(&u);
	ok(mlp_model_uri_parse("models:/fraud/Production", &u, &err) == 0 &&
	    strcmp(u.stage, "Production") == 0, "NAME/STAGE (deprecated)");
	mlp_model_uri_release(&u);
	ok(mlp_model_uri_parse("models:/fraud", &u, &err) == MLP_EINVAL,
	    "no version is an error: %s", err.msg);
	ok(mlp_model_uri_parse("runs:/abc/model", &u, &err) == MLP_EINVAL,
	    "not a models:/ URI");
	ok(mlp_model_uri_parse("models:/fraud/0", &u, &err) == MLP_EINVAL,
	    "version 0 is not a version");
	ok(mlp_model_uri_parse("models:/fraud/-1", &u, &err) == MLP_EINVAL,
	    "nor is -1");
	ok(mlp_model_uri_parse("models:/fraud@bad alias", &u, &err) ==
	    MLP_EINVAL, "an invalid alias");
	ok(mlp_model_uri_parse("models:/@x", &u, &err) == MLP_EINVAL,
	    "an empty name");
}

static void
test_names(void)
{
	struct mlp_err err;

	ok(mlp_registry_check_alias("champion", &err) == 0, "alias ok");
	ok(mlp_registry_check_alias("blue-green_2", &err) == 0, "- and _");
	ok(mlp_registry_check_alias("latest", &err) == MLP_EINVAL, "latest");
	ok(mlp_registry_check_alias("LATEST", &err) == MLP_EINVAL, "LATEST");
	ok(mlp_registry_check_alias("v12", &err) == MLP_EINVAL, "v<digits>");
	ok(mlp_registry_check_alias("v1a", &err) == 0, "v1a is fine");
	ok(mlp_registry_check_alias("a.b", &err) == MLP_EINVAL, "no dots");
	ok(mlp_registry_check_alias("", &err) == MLP_EINVAL, "not empty");
	ok(mlp_registry_check_name("fraud.v2 model", &err) == 0, "name ok");
	ok(mlp_registry_check_name("a/b", &err) == MLP_EINVAL, "no slash");
	ok(mlp_registry_check_name("a@b", &err) == MLP_EINVAL, "no @");
	ok(mlp_registry_check_name("123", &err) == MLP_EINVAL, "not digits");
	ok(mlp_registry_check_name("", &err) == MLP_EINVAL, "not empty");
	ok(mlp_registry_check_name("mod\xe8le", &err) == MLP_EINVAL &&
	    strstr(err.msg, "model name 'mod\\xe8' is not valid UTF-8"),
	    "not UTF-8: %s", err.msg);
	ok(mlp_registry_check_name("modèle", &err) == 0, "UTF-8 is fine");
	ok(mlp_registry_check_alias("a\xff", &err) == MLP_EINVAL &&
	    strstr(err.msg, "not valid UTF-8"), "an alias not UTF-8");
}

static struct mlp_model_version *
get(struct mlp_db *db, const char *uri)
{
	struct mlp_model_uri u;
	struct mlp_model_version *mv = NULL;
	struct mlp_err err;

	if (mlp_model_uri_parse(uri, &u, &err) < 0)
		return NULL;
	mlp_registry_resolve(db, &u, &mv, &err);
	mlp_model_uri_release(&u);
	return mv;
}

static void
test_versions(void)
{
	char dir[] = "/tmp/mlp-reg-test.XXXXXX", *path, *cmd;
	const char *aliases[] = { "champion" };
	struct mlp_kv tags[] = { { "team", "risk" } };
	struct mlp_version_new vn = { 0 };
	struct mlp_model_version *mv;
	struct mlp_alias_event *ev = NULL;
	struct mlp_model_info *mi = NULL;
	struct mlp_db *db;
	struct mlp_err err;
	int64_t v = 0;
	size_t n = 0;

	if (!mkdtemp(dir))
		return;
	path = xasprintf("%s/mlp.db", dir);
	ok(mlp_db_open(&db, path, 1, &err) == 0, "open");
	vn.name = "fraud";
	vn.oid = "aa";
	vn.size = 10;
	vn.source = "model/";
	vn.user = "ann";
	vn.aliases = aliases;
	vn.naliases = 1;
	vn.tags = tags;
	vn.ntags = 1;
	ok(mlp_registry_create_version(db, &vn, &v, &err) == 0 && v == 1,
	    "first version is 1");
	vn.naliases = 0;
	vn.ntags = 0;
	vn.oid = "bb";
	ok(mlp_registry_create_version(db, &vn, &v, &err) == 0 && v == 2,
	    "then 2");
	mv = get(db, "models:/fraud@champion");
	ok(mv && mv->version == 1 && strcmp(mv->oid, "aa") == 0,
	    "alias set at creation resolves");
	ok(mv && mv->ntags == 1 && strcmp(mv->tags[0].value, "risk") == 0,
	    "tags set at creation");
	mlp_model_version_free(mv);
	mv = get(db, "models:/fraud/latest");
	ok(mv && mv->version == 2, "latest is 2");
	mlp_model_version_free(mv);
	ok(mlp_registry_set_alias(db, "fraud", "champion", 2, "bob", &err) == 0,
	    "move the alias");
	ok(mlp_registry_set_alias(db, "fraud", "champion", 9, "bob", &err) ==
	    MLP_ENOTFOUND, "to a missing version: %s", err.msg);
	ok(mlp_registry_set_alias(db, "nope", "champion", 1, "bob", &err) ==
	    MLP_ENOTFOUND, "of a missing model: %s", err.msg);
	ok(mlp_registry_alias_history(db, "fraud", "champion", &ev, &n,
	    &err) == 0 && n == 2, "two moves recorded");
	ok(n == 2 && ev[0].from_version == 0 && ev[0].to_version == 1 &&
	    ev[1].from_version == 1 && ev[1].to_version == 2 &&
	    strcmp(ev[1].user, "bob") == 0, "with from, to and who");
	mlp_alias_events_free(ev, n);
	ok(mlp_registry_set_stage(db, "fraud", 1, "Production", 0, &err) == 0,
	    "stage 1 production");
	ok(mlp_registry_set_stage(db, "fraud", 2, "Production", 1, &err) == 0,
	    "stage 2 production, archiving existing");
	mv = get(db, "models:/fraud/1");
	ok(mv && strcmp(mv->stage, "Archived") == 0, "1 was archived");
	mlp_model_version_free(mv);
	mv = get(db, "models:/fraud/production");
	ok(mv && mv->version == 2, "models:/fraud/production is 2");
	mlp_model_version_free(mv);
	ok(mlp_registry_delete_version(db, "fraud", 2, "ann", &err) == 0,
	    "delete version 2");
	ok(get(db, "models:/fraud@champion") == NULL,
	    "its alias went with it");
	mv = get(db, "models:/fraud/latest");
	ok(mv && mv->version == 1, "latest is 1 again");
	mlp_model_version_free(mv);
	ok(mlp_registry_alias_history(db, "fraud", NULL, &ev, &n, &err) == 0 &&
	    n == 3 && ev[2].to_version == 0, "the removal is recorded");
	mlp_alias_events_free(ev, n);
	ok(mlp_registry_delete_alias(db, "fraud", "champion", "ann", &err) ==
	    MLP_ENOTFOUND, "deleting an unset alias: %s", err.msg);
	ok(mlp_registry_set_tag(db, "fraud", 1, "k", "v", &err) == 0 &&
	    mlp_registry_set_tag(db, "fraud", 1, "k", NULL, &err) == 0 &&
	    mlp_registry_set_tag(db, "fraud", 1, "k", NULL, &err) ==
	    MLP_ENOTFOUND, "version tags set and delete");
	ok(mlp_registry_set_tag(db, "fraud", 0, "owner", "ann", &err) == 0 &&
	    mlp_registry_set_tag(db, "fraud", 0, "area", "pay", &err) == 0,
	    "model tags set");
	ok(mlp_registry_list(db, NULL, &mi, &n, &err) == 0 && n == 1 &&
	    mi[0].latest == 1 && mi[0].nversions == 1, "list");
	ok(n == 1 && mi[0].ntags == 2 && strcmp(mi[0].tags[0].key, "area") ==
	    0 && strcmp(mi[0].tags[1].value, "ann") == 0,
	    "list gives the model's tags, by key");
	mlp_model_infos_free(mi, n);
	{
		struct mlp_kv *mt = NULL;
		size_t nt = 0;

		ok(mlp_registry_model_tags(db, "fraud", &mt, &nt, &err) == 0 &&
		    nt == 2 && strcmp(mt[1].key, "owner") == 0,
		    "model_tags gives them too");
		mlp_kvs_free(mt, nt);
		ok(mlp_registry_model_tags(db, "nope", &mt, &nt, &err) ==
		    MLP_ENOTFOUND, "of a missing model: %s", err.msg);
	}
	ok(mlp_registry_alias_history(db, "fraud", "nosuch", &ev, &n, &err) ==
	    MLP_ENOTFOUND && n == 0, "history of an alias never set: %s",
	    err.msg);
	ok(mlp_registry_set_tag(db, "fraud", 1, "k", "a\xff", &err) ==
	    MLP_EINVAL && strstr(err.msg, "not valid UTF-8"),
	    "a tag value not UTF-8: %s", err.msg);
	vn.description = "caf\xc3";
	ok(mlp_registry_create_version(db, &vn, &v, &err) == MLP_EINVAL &&
	    strstr(err.msg, "description"), "a description not UTF-8: %s",
	    err.msg);
	vn.description = "café";
	ok(mlp_registry_check_version(&vn, &err) == 0, "UTF-8 is fine");
	mlp_db_close(db);
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", dir);
	free(cmd);
	free(path);
}

int
main(void)
{
	test_uris();
	test_names();
	test_versions();
	return tap_done();
}
