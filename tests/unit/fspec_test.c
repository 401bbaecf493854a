/* Unit tests of lib/feature/spec.c and catalog.c: loading YAML specs,
 * every error class at its file, line and column, outputs and references,
 * and the catalog's canonical JSON, plan, apply and history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "feature/feature.h"
#include "tap.h"

static char dir[] = "/tmp/mlp-fspec-test.XXXXXX";

static char *
path(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void
put(const char *name, const char *text)
{
	char *p = path(name);
	FILE *fp = fopen(p, "w");

	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
	free(p);
}

/* Loads text as spec.yaml (root: dir): the result code, the message in
 * err. */
static int
load(const char *text, struct mlp_fspec **s, struct mlp_err *err)
{
	char *p = path("spec.yaml");
	const char *paths[] = { p };
	int rc;

	put("spec.yaml", text);
	mlp_err_clear(err);
	rc = mlp_fspec_load(paths, 1, dir, s, err);
	free(p);
	return rc;
}

/* The error message of loading text, with the directory cut out. */
static const char *
error_of(const char *text)
{
	static char msg[600];
	struct mlp_fspec *s = NULL;
	struct mlp_err err;
	char *p = path("");
	const char *m;

	if (load(text, &s, &err) == 0) {
		mlp_fspec_free(s);
		free(p);
		return "(loaded)";
	}
	m = strstr(err.msg, p) ? strstr(err.msg, p) + strlen(p) : err.msg;
	snprintf(msg, sizeof(msg), "%s%s", m == err.msg ? "" : "'", m);
	free(p);
	return msg;
}

static const char example[] =
    "entities:\n"
    "  - {name: driver, join_keys: [driver_id]}\n"
    "sources:\n"
    "  - {name: trips, path: trips.csv, timestamp: event_ts}\n"
    "  - {name: profiles, path: data/profiles.jsonl, timestamp: event_ts, "
    "created_timestamp: created_ts}\n"
    "feature_views:\n"
    "  - name: driver_profile\n"
    "    entity: driver\n"
    "    source: profiles\n"
    "    ttl: 7d\n"
    "    features: [{name: rating, type: float}]\n"
    "    derived: [{name: rating_x2, expr: \"rating * 2\"}]\n"
    "    tags: {team: eta, owner: ops}\n"
    "  - name: driver_trips\n"
    "    entity: driver\n"
    "    source: trips\n"
    "    ttl: 30d\n"
    "    aggregations: [{column: fare, op: sum, windows: [1d, 7d]}, "
    "{column: fare, op: count, windows: [7d]}]\n"
    "feature_services:\n"
    "  - {name: eta, features: [\"driver_profile:rating\", "
    "\"driver_trips:fare_sum_7d\"]}\n"
    "  - {name: all_trips, features: [driver_trips]}\n";

static void
test_example(void)
{
	struct mlp_fspec *s = NULL;
	struct mlp_err err;
	const struct mlp_fview *v;
	struct mlp_foutput o;

	is_int(load(example, &s, &err), 0, "the issue's example loads");
	if (!s) {
		printf("# %s\n", err.msg);
		return;
	}
	is_int(s->nentities, 1, "one entity");
	is_int(s->entities[0].nkeys, 1, "one join key");
	is_int(s->entities[0].key_types[0], MLP_FT_INT, "keys are int by "
	    "default");
	is_int(s->nsources, 2, "two sources");
	is_str(s->sources[0].path, "trips.csv", "a path relative to the root");
	is_str(s->sources[1].path, "data/profiles.jsonl", "in a directory");
	is_int(s->sources[0].format, MLP_FFMT_CSV, ".csv is csv");
	is_int(s->sources[1].format, MLP_FFMT_JSONL, ".jsonl is jsonl");
	is_str(s->sources[1].created_timestamp, "created_ts", "created column");
	is_int(s->sources[0].tsfmt, MLP_TSFMT_ISO8601, "iso8601 by default");
	is_int(s->nviews, 2, "two views");
	v = mlp_fspec_view(s, "driver_trips");
	ok(v != NULL, "a view by name");
	if (!v)
		goto out;
	is_int(v->ttl, 30 * 86400 * MLP_US_PER_SEC, "ttl 30d");
	is_int(v->naggs, 2, "two aggregation lines");
	is_str(v->aggs[0].names[1], "fare_sum_7d", "COLUMN_OP_WINDOW");
	is_int(mlp_fview_noutputs(v), 3, "three outputs");
	mlp_fview_output(v, 2, &o);
	is_str(o.name, "fare_count_7d", "outputs in order");
	is_int(o.type, MLP_FT_INT, "count is int");
	is_int(mlp_fview_find(v, "fare_sum_1d", &o), 0, "found by name");
	is_int(o.type, MLP_FT_FLOAT, "sum is float");
	is_int(o.kind, MLP_FOUT_AGG, "an aggregation output");
	v = mlp_fspec_view(s, "driver_profile");
	is_int(v->ntags, 2, "two tags");
	is_str(v->tag_keys[0], "owner", "tags sorted by key");
	is_int(mlp_fview_find(v, "rating_x2", &o), 0, "derived found");
	is_int(o.kind, MLP_FOUT_DERIVED, "derived kind");
	is_int(s->nservices, 2, "two services");
	is_int(s->services[0].nrefs, 2, "eta has two refs");
	is_int(mlp_fspec_service(s, "all_trips")->nrefs, 3, "VIEW expands to "
	    "its outputs");
	is_str(mlp_fspec_service(s, "all_trips")->refs[2],
	    "driver_trips:fare_count_7d", "as VIEW:FEATURE");
	is_int(s->views[0].pos.line, 7, "a view's line");
	is_int(s->views[0].pos.col, 5, "a view's column");
out:
	mlp_fspec_free(s);
}

static void
test_resolve(void)
{
	struct mlp_fspec *s = NULL;
	struct mlp_err err;
	const struct mlp_fview *v = NULL;
	struct mlp_foutput o;

	if (load(example, &s, &err) < 0)
		return;
	mlp_err_clear(&err);
	is_int(mlp_fspec_resolve(s, "driver_trips:fare_sum_7d", &v, &o, &err),
	    0, "a reference resolves");
	is_str(v ? v->name : NULL, "driver_trips", "to its view");
	is_int(mlp_fspec_resolve(s, "driver_trips:fare_sum_7", &v, &o, &err),
	    MLP_ENOTFOUND, "an unknown feature");
	is_str(err.msg, "no feature 'fare_sum_7' in feature view "
	    "'driver_trips' (did you mean 'fare_sum_7d'?)", "did you mean");
	is_int(mlp_fspec_resolve(s, "driver_trip:fare_sum_7d", &v, &o, &err),
	    MLP_ENOTFOUND, "an unknown view");
	is_str(err.msg, "no feature view 'driver_trip' (did you mean "
	    "'driver_trips'?)", "did you mean a view");
	is_int(mlp_fspec_resolve(s, "fare_sum_7d", &v, &o, &err), MLP_EINVAL,
	    "a reference without a view");
	mlp_fspec_free(s);
}

static void
test_errors(void)
{
	is_str(error_of("entities:\n  - {name: driver, join_keys: [id]}\n"
	    "feature_views:\n  - name: v\n    entity: driver\n"
	    "    source: s\n    ttl_s: 7d\n"),
	    "'spec.yaml' line 7 column 5: unknown key 'ttl_s' in feature view "
	    "'v' (did you mean 'ttl'?)", "an unknown key");
	is_str(error_of("entitys: []\n"), "'spec.yaml' line 1 column 1: "
	    "unknown key 'entitys' in the spec (did you mean 'entities'?)",
	    "an unknown top-level key");
	is_str(error_of("entities: {name: x}\n"), "'spec.yaml' line 1 column "
	    "11: entities must be a list, not a mapping", "a wrong kind");
	is_str(error_of("entities:\n  - name: d\n    join_keys: id\n"),
	    "'spec.yaml' line 3 column 16: join_keys must be a list, not a "
	    "single value", "join_keys not a list");
	ok(strstr(error_of("entities:\n  - {name: d, join_keys: [id]}\n"
	    "  - {name: d, join_keys: [id]}\n"),
	    "'spec.yaml' line 3 column 12: entity 'd' is defined twice (first "
	    "at '") && strstr(error_of("entities:\n  - {name: d, join_keys: "
	    "[id]}\n  - {name: d, join_keys: [id]}\n"),
	    "spec.yaml' line 2 column 5)"), "a duplicate name");
	is_str(error_of("entities:\n  - {name: d, join_keys: [id], name: e}\n"),
	    "'spec.yaml' line 2: duplicate key 'name' (first at line 2)",
	    "a duplicate key");
	is_str(error_of("entities:\n  - {name: 1d, join_keys: [id]}\n"),
	    "'spec.yaml' line 2 column 12: name '1d' is not a name (letters, "
	    "digits and '_', not starting with a digit)", "a bad name");
	is_str(error_of("entities:\n  - {name: d, join_keys: [id], type: "
	    "float}\n"), "'spec.yaml' line 2 column 38: type: a join key is "
	    "int or string, not float", "a float key");
	is_str(error_of("entities:\n  - {name: d, join_keys: [a, b], types: "
	    "[int]}\n"), "'spec.yaml' line 2 column 41: 'types' of entity 'd' "
	    "has 1 entry for 2 join keys", "types of the wrong length");
	is_str(error_of("sources:\n  - {name: s, path: x.dat}\n"),
	    "'spec.yaml' line 2 column 21: cannot tell the format of 'x.dat' "
	    "from its name: add format: csv or format: jsonl to source 's'",
	    "an unknown format");
	is_str(error_of("sources:\n  - {name: s, path: x.csv, "
	    "timestamp_format: epoch}\n"), "'spec.yaml' line 2 column 46: "
	    "timestamp_format 'epoch' of source 's' is not iso8601, epoch_s or "
	    "epoch_ms (did you mean 'epoch_s'?)", "a bad timestamp format");
}

static const char head[] =
    "entities:\n  - {name: driver, join_keys: [driver_id]}\n"
    "sources:\n  - {name: trips, path: trips.csv}\n"
    "feature_views:\n";

static const char *
view_error(const char *view)
{
	char *text = xasprintf("%s%s", head, view);
	static char msg[600];

	snprintf(msg, sizeof(msg), "%s", error_of(text));
	free(text);
	return msg;
}

static void
test_view_errors(void)
{
	is_str(view_error("  - {name: v, entity: drivr, source: trips, "
	    "features: [{name: f, type: int}]}\n"),
	    "'spec.yaml' line 6 column 23: feature view 'v': no entity "
	    "'drivr' (did you mean 'driver'?)", "a dangling entity");
	is_str(view_error("  - {name: v, entity: driver, source: trip, "
	    "features: [{name: f, type: int}]}\n"),
	    "'spec.yaml' line 6 column 39: feature view 'v': no source 'trip' "
	    "(did you mean 'trips'?)", "a dangling source");
	is_str(view_error("  - {name: v, entity: driver, source: trips, ttl: "
	    "30, features: [{name: f, type: int}]}\n"),
	    "'spec.yaml' line 6 column 51: ttl '30' of feature view 'v' is not "
	    "a duration (such as 90s, 15m, 1h, 7d, 2w, or 0 for none)",
	    "a bad ttl");
	is_str(view_error("  - {name: v, entity: driver, source: trips, ttl: "
	    "1000000000w, features: [{name: f, type: int}]}\n"),
	    "'spec.yaml' line 6 column 51: ttl '1000000000w' of feature view "
	    "'v' is not a duration (such as 90s, 15m, 1h, 7d, 2w, or 0 for "
	    "none)", "a ttl past int64 microseconds");
	is_str(view_error("  - {name: v, entity: driver, source: trips, "
	    "features: [{name: f, type: flaot}]}\n"),
	    "'spec.yaml' line 6 column 73: type 'flaot' is not a type (float, "
	    "int, string, bool) (did you mean 'float'?)", "a bad type");
	is_str(view_error("  - {name: v, entity: driver, source: trips, "
	    "aggregations: [{column: fare, op: summ, windows: [1d]}]}\n"),
	    "'spec.yaml' line 6 column 80: op 'summ' is not an aggregation "
	    "(count, sum, avg, min, max, last, stddev) (did you mean 'sum'?)",
	    "a bad op");
	is_str(view_error("  - {name: v, entity: driver, source: trips, "
	    "aggregations: [{column: fare, op: sum, windows: [7d, 168h]}]}\n"),
	    "'spec.yaml' line 6 column 99: window '168h' is the same time as "
	    "'7d' in an aggregation of feature view 'v'",
	    "two windows equal in time");
	is_str(view_error("  - {name: v, entity: driver, source: trips, "
	    "aggregations: [{column: fare, op: sum, windows: [1x]}]}\n"),
	    "'spec.yaml' line 6 column 95: window '1x' is not a duration "
	    "(such as 90s, 15m, 1h, 7d, 2w)", "a bad window");
	is_str(view_error("  - {name: v, entity: driver, source: trips, "
	    "features: [{name: fare_sum_1d, type: float}],\n"
	    "     aggregations: [{column: fare, op: sum, windows: [1d]}]}\n"),
	    "'spec.yaml' line 7 column 55: feature view 'v' defines "
	    "'fare_sum_1d' twice (first at line 6 column 64)",
	    "an output defined twice");
	is_str(view_error("  - {name: v, entity: driver, source: trips}\n"),
	    "'spec.yaml' line 6 column 5: feature view 'v' has no features "
	    "(give features, aggregations or derived)", "no features");
	is_str(view_error("  - {name: v, entity: driver, source: trips, "
	    "features: [{name: driver_id, type: int}]}\n"),
	    "'spec.yaml' line 6 column 57: feature view 'v': 'driver_id' is a "
	    "join key of its entity 'driver', not a feature",
	    "a join key as a feature");
	is_str(view_error("  - {name: v, entity: driver, source: trips, "
	    "features: [{name: f}]}\n"),
	    "'spec.yaml' line 6 column 57: feature 'f' of feature view 'v' has "
	    "no 'type'", "a feature without a type");
	is_str(view_error("  - {name: v, entity: driver, source: trips, "
	    "features: [{name: f, type: int}]}\n"
	    "feature_services:\n  - {name: s, features: [\"v:g\"]}\n"),
	    "'spec.yaml' line 8 column 26: feature service 's': no feature "
	    "'g' in feature view 'v'", "a dangling feature");
	is_str(view_error("  - {name: v, entity: driver, source: trips, "
	    "features: [{name: f, type: int}]}\n"
	    "feature_services:\n  - {name: s, features: [\"w:f\"]}\n"),
	    "'spec.yaml' line 8 column 26: feature service 's': no feature "
	    "view 'w'", "a dangling view");
	is_str(view_error("  - {name: v, entity: driver, source: trips, "
	    "features: [{name: f, type: int}]}\n"
	    "feature_services:\n  - {name: s, features: [v, \"v:f\"]}\n"),
	    "'spec.yaml' line 8 column 29: feature service 's' lists 'v:f' "
	    "twice", "a feature listed twice");
}

static void
test_files(void)
{
	struct mlp_fspec *s = NULL;
	struct mlp_err err;
	char *d = path("specs"), *a = path("specs/a.yaml");
	const char *paths[] = { d, a };
	int rc;

	mkdir(d, 0777);
	put("specs/b.yml", "sources:\n  - {name: s2, path: ../x.csv}\n");
	put("specs/a.yaml", "sources:\n  - {name: s1, path: x.jsonl}\n");
	put("specs/c.txt", "not: a spec\n");
	put("specs/.hidden.yaml", "oops: 1\n");
	mlp_err_clear(&err);
	rc = mlp_fspec_load(paths, 2, dir, &s, &err);
	is_int(rc, 0, "a directory and a file in it load: %s", err.msg);
	if (rc == 0) {
		is_int(s->nfiles, 2, "each file once, .txt and hidden skipped");
		is_str(s->sources[0].name, "s1", "files in name order");
		is_str(s->sources[0].path, "specs/x.jsonl", "relative to root");
		is_str(s->sources[1].path, "x.csv", "'..' resolved");
		is_int(s->sources[0].format, MLP_FFMT_JSONL, "jsonl");
	}
	mlp_fspec_free(s);
	s = NULL;
	rc = mlp_fspec_load(paths, 1, "/nonexistent/root", &s, &err);
	is_int(rc, 0, "a root elsewhere");
	if (rc == 0 && s->sources[0].path)
		ok(s->sources[0].path[0] == '/', "an absolute path outside "
		    "the root");
	mlp_fspec_free(s);
	s = NULL;
	put("specs/d.yaml", "sources:\n  - {name: s1, path: y.csv}\n");
	mlp_err_clear(&err);
	rc = mlp_fspec_load(paths, 1, dir, &s, &err);
	ok(rc == MLP_EINVAL && strstr(err.msg, "d.yaml' line 2 column 12: "
	    "source 's1' is defined twice (first at '") &&
	    strstr(err.msg, "a.yaml' line 2 column 5)"),
	    "duplicate names across files: %s", err.msg);
	free(d);
	free(a);
	d = path("nope.yaml");
	paths[0] = d;
	rc = mlp_fspec_load(paths, 1, dir, &s, &err);
	is_int(rc, MLP_ENOTFOUND, "a missing file");
	free(d);
	d = path("empty");
	mkdir(d, 0777);
	paths[0] = d;
	rc = mlp_fspec_load(paths, 1, dir, &s, &err);
	is_int(rc, MLP_EINVAL, "a directory without specs");
	free(d);
}

/* The catalog on a real database. */

static int
apply(struct mlp_db *db, const char *text, int force, struct mlp_fplan **p,
    struct mlp_err *err)
{
	struct mlp_fspec *s = NULL;
	int rc;

	*p = NULL;
	if ((rc = load(text, &s, err)) < 0)
		return rc;
	rc = mlp_fcatalog_apply(db, s, force, "tester", p, err);
	mlp_fspec_free(s);
	return rc;
}

static const struct mlp_fchange *
change(const struct mlp_fplan *p, const char *name)
{
	for (size_t i = 0; p && i < p->n; i++)
		if (strcmp(p->changes[i].name, name) == 0)
			return &p->changes[i];
	return NULL;
}

static void
test_catalog(void)
{
	struct mlp_db *db = NULL;
	struct mlp_fspec *s = NULL, *back = NULL;
	struct mlp_fplan *p = NULL;
	struct mlp_fversion *h = NULL;
	struct mlp_err err;
	char *dbp = path("mlp.db"), *edited;
	size_t nh = 0;
	int rc;

	mlp_err_clear(&err);
	if (mlp_db_open(&db, dbp, 1, &err) < 0) {
		ok(0, "open a database: %s", err.msg);
		free(dbp);
		return;
	}
	rc = apply(db, example, 0, &p, &err);
	is_int(rc, 0, "the example applies: %s", err.msg);
	is_int(p ? p->ncreate : 0, 7, "seven objects created");
	mlp_fplan_free(p);

	/* round trip: what the catalog gives back prints the same */
	load(example, &s, &err);
	rc = mlp_fcatalog_load(db, &back, &err);
	is_int(rc, 0, "the catalog loads");
	if (rc == 0 && s) {
		int same = 1;

		for (int k = 0; k < MLP_FK_COUNT; k++) {
			size_t n = k == MLP_FK_ENTITY ? s->nentities :
			    k == MLP_FK_SOURCE ? s->nsources :
			    k == MLP_FK_VIEW ? s->nviews : s->nservices;

			for (size_t i = 0; i < n; i++) {
				const char *name = k == MLP_FK_VIEW ?
				    s->views[i].name : NULL;
				char *a = mlp_fspec_json(s, k, i), *b = NULL;

				/* back is in name order */
				for (size_t j = 0; k == MLP_FK_VIEW &&
				    j < back->nviews; j++)
					if (strcmp(back->views[j].name,
					    name) == 0)
						b = mlp_fspec_json(back, k, j);
				if (k != MLP_FK_VIEW) {
					size_t j = 0;
					const char *want = k == MLP_FK_ENTITY ?
					    s->entities[i].name :
					    k == MLP_FK_SOURCE ?
					    s->sources[i].name :
					    s->services[i].name;

					while (strcmp(k == MLP_FK_ENTITY ?
					    back->entities[j].name :
					    k == MLP_FK_SOURCE ?
					    back->sources[j].name :
					    back->services[j].name, want))
						j++;
					b = mlp_fspec_json(back, k, j);
				}
				if (!b || strcmp(a, b) != 0) {
					same = 0;
					printf("# %s\n# %s\n", a, b ? b : "");
				}
				free(a);
				free(b);
			}
		}
		ok(same, "every object's JSON round-trips");
		is_int(back->views[0].version, 1, "views have a version");
		ok(back->views[0].pos.line > 0, "and a position");
	}
	mlp_fspec_free(back);
	back = NULL;

	/* the same files again change nothing */
	rc = mlp_fcatalog_plan(db, s, &p, &err);
	is_int(rc, 0, "plan");
	is_int(p ? p->nunchanged : 0, 7, "nothing to change");
	is_int(p ? p->ncreate + p->nupdate + p->ndelete : 1, 0, "no changes");
	mlp_fplan_free(p);
	mlp_fspec_free(s);

	/* a type change is breaking */
	edited = xstrdup(example);
	memcpy(strstr(edited, "type: float"), "type: int  ", 11);
	rc = apply(db, edited, 0, &p, &err);
	is_int(rc, MLP_EFAIL, "a breaking change is refused");
	is_str(err.msg, "feature view 'driver_profile': feature 'rating' "
	    "changes type from float to int", "naming it");
	is_int(p ? p->nbreaking : 0, 1, "one breaking change");
	mlp_fplan_free(p);
	rc = apply(db, edited, 1, &p, &err);
	is_int(rc, 0, "forced");
	ok(change(p, "driver_profile") && change(p,
	    "driver_profile")->version == 2, "version 2");
	ok(change(p, "driver_profile") && change(p,
	    "driver_profile")->nfields == 1 && strcmp(change(p,
	    "driver_profile")->fields[0], "features") == 0,
	    "the field that changed");
	is_int(p ? p->nunchanged : 0, 6, "the rest unchanged");
	mlp_fplan_free(p);
	free(edited);

	/* dropping a service deletes it; defining it again goes on */
	edited = xstrdup(example);
	*strstr(edited, "  - {name: all_trips") = '\0';
	rc = apply(db, edited, 1, &p, &err);
	is_int(rc, 0, "a service dropped");
	ok(change(p, "all_trips") && change(p, "all_trips")->action ==
	    MLP_FA_DELETE, "is deleted");
	is_int(p ? p->ndelete : 0, 1, "one deletion");
	mlp_fplan_free(p);
	free(edited);
	rc = apply(db, example, 1, &p, &err);
	ok(rc == 0 && change(p, "all_trips") && change(p,
	    "all_trips")->action == MLP_FA_CREATE && change(p,
	    "all_trips")->version == 3, "created again as version 3");
	mlp_fplan_free(p);

	rc = mlp_fcatalog_history(db, MLP_FK_SERVICE, "all_trips", &h, &nh,
	    &err);
	is_int(rc, 0, "history");
	is_int(nh, 3, "three versions");
	if (nh == 3) {
		is_int(h[1].action, MLP_FA_DELETE, "a deletion");
		ok(h[1].spec == NULL, "without a spec");
		is_str(h[0].user, "tester", "who");
	}
	mlp_fversions_free(h, nh);
	rc = mlp_fcatalog_history(db, MLP_FK_VIEW, "nope", &h, &nh, &err);
	is_int(rc, MLP_ENOTFOUND, "no history of an unknown object");

	mlp_db_close(db);
	free(dbp);
}

static void
test_entity_break(void)
{
	struct mlp_db *db = NULL;
	struct mlp_fplan *p = NULL;
	struct mlp_err err;
	char *dbp = path("e.db");
	int rc;

	mlp_err_clear(&err);
	if (mlp_db_open(&db, dbp, 1, &err) < 0) {
		free(dbp);
		return;
	}
	apply(db, "entities:\n  - {name: d, join_keys: [id]}\n", 0, &p, &err);
	mlp_fplan_free(p);
	rc = apply(db, "entities:\n  - {name: d, join_keys: [id], type: "
	    "string}\n", 0, &p, &err);
	is_int(rc, MLP_EFAIL, "a key type change is refused");
	is_str(err.msg, "entity 'd': join keys change from id (int) to id "
	    "(string)", "naming it");
	mlp_fplan_free(p);
	rc = apply(db, "entities:\n  - {name: d, join_keys: [id], "
	    "description: the driver}\n", 0, &p, &err);
	is_int(rc, 0, "a description change is not breaking");
	mlp_fplan_free(p);
	mlp_db_close(db);
	free(dbp);
}

int
main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_example();
	test_resolve();
	test_errors();
	test_view_errors();
	test_files();
	test_catalog();
	test_entity_break();
	{
		struct mlp_err err;

		mlp_err_clear(&err);
		if (mlp_remove_tree(dir, &err) < 0)
			printf("# %s\n", err.msg);
	}
	return tap_done();
}
