/* The server's metrics in Prometheus text format 0.0.4: requests by model,
 * version, protocol and code, latency histograms, the model cache, build
 * info. Labels come only from what the server routes (never from a
 * request's text), so the series are bounded by the deployments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const proto_names[SV_NPROTO] = {
	"v2", "v1", "mlflow", "other",
};

/* upper bounds in seconds; +Inf is the count */
static const double buckets[] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct counter {
	char *model, *version;
	enum sv_proto proto;
	int code;
	uint64_t n;
	struct counter *next;
};

struct histogram {
	char *model;
	enum sv_proto proto;
	uint64_t count, in[NBUCKETS];
	double sum;
	struct histogram *next;
};

struct sv_metrics {
	pthread_mutex_t lock;
	struct counter *counters;
	struct histogram *histograms;
	uint64_t swaps;
};

struct sv_metrics *
sv_metrics_new(void)
{
	struct sv_metrics *mt = xcalloc(1, sizeof(*mt));

	pthread_mutex_init(&mt->lock, NULL);
	return mt;
}

void
sv_metrics_free(struct sv_metrics *mt)
{
	if (!mt)
		return;
	for (struct counter *c = mt->counters, *next; c; c = next) {
		next = c->next;
		free(c->model);
		free(c->version);
		free(c);
	}
	for (struct histogram *h = mt->histograms, *next; h; h = next) {
		next = h->next;
		free(h->model);
		free(h);
	}
	pthread_mutex_destroy(&mt->lock);
	free(mt);
}

void
sv_metrics_request(struct sv_metrics *mt, const char *model,
    const char *version, enum sv_proto proto, int code, double seconds)
{
	struct counter *c;
	struct histogram *h;

	model = model ? model : "";
	version = version ? version : "";
	pthread_mutex_lock(&mt->lock);
	for (c = mt->counters; c; c = c->next)
		if (c->code == code && c->proto == proto &&
		    strcmp(c->version, version) == 0 &&
		    strcmp(c->model, model) == 0)
			break;
	if (!c) {
		c = xcalloc(1, sizeof(*c));
		c->model = xstrdup(model);
		c->version = xstrdup(version);
		c->proto = proto;
		c->code = code;
		c->next = mt->counters;
		mt->counters = c;
	}
	c->n++;
	for (h = mt->histograms; h; h = h->next)
		if (h->proto == proto && strcmp(h->model, model) == 0)
			break;
	if (!h) {
		h = xcalloc(1, sizeof(*h));
		h->model = xstrdup(model);
		h->proto = proto;
		h->next = mt->histograms;
		mt->histograms = h;
	}
	h->count++;
	h->sum += seconds;
	for (size_t i = 0; i < NBUCKETS; i++)
		if (seconds <= buckets[i]) {
			h->in[i]++;
			break;
		}
	pthread_mutex_unlock(&mt->lock);
}

void
sv_metrics_swap(struct sv_metrics *mt)
{
	pthread_mutex_lock(&mt->lock);
	mt->swaps++;
	pthread_mutex_unlock(&mt->lock);
}

/* A label value escaped as the text format wants: \\, \" and \n. */
static void
label(struct mlp_buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			mlp_buf_addc(out, '\\');
		if (*s == '\n') {
			mlp_buf_adds(out, "\\n");
			continue;
		}
		mlp_buf_addc(out, *s);
	}
}

static void
head(struct mlp_buf *out, const char *name, const char *type,
    const char *help)
{
	mlp_buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

void
sv_metrics_render(struct sv_metrics *mt, struct sv_cache *c,
    struct sv_plog *plog, struct mlp_buf *out)
{
	uint64_t loaded, bytes, loads, evictions;

	sv_cache_stats(c, &loaded, &bytes, &loads, &evictions);
	head(out, "mlp_build_info", "gauge", "The running mlp's version.");
	mlp_buf_addf(out, "mlp_build_info{version=\"%s\"} 1\n", MLP_VERSION);
	head(out, "mlp_models_loaded", "gauge", "Model versions in memory.");
	mlp_buf_addf(out, "mlp_models_loaded %llu\n",
	    (unsigned long long)loaded);
	head(out, "mlp_model_resident_bytes", "gauge",
	    "Bytes of the models in memory.");
	mlp_buf_addf(out, "mlp_model_resident_bytes %llu\n",
	    (unsigned long long)bytes);
	head(out, "mlp_model_loads_total", "counter", "Model versions loaded.");
	mlp_buf_addf(out, "mlp_model_loads_total %llu\n",
	    (unsigned long long)loads);
	head(out, "mlp_model_evictions_total", "counter",
	    "Model versions evicted to keep within the memory budget.");
	mlp_buf_addf(out, "mlp_model_evictions_total %llu\n",
	    (unsigned long long)evictions);

	if (plog) {
		uint64_t written, dropped;

		sv_plog_stats(plog, &written, &dropped);
		head(out, "mlp_prediction_log_records_total", "counter",
		    "Requests written to the prediction log.");
		mlp_buf_addf(out, "mlp_prediction_log_records_total %llu\n",
		    (unsigned long long)written);
		head(out, "mlp_prediction_log_dropped_total", "counter",
		    "Requests not logged because the log's queue was full.");
		mlp_buf_addf(out, "mlp_prediction_log_dropped_total %llu\n",
		    (unsigned long long)dropped);
	}
	pthread_mutex_lock(&mt->lock);
	head(out, "mlp_model_swaps_total", "counter",
	    "Routing table changes after a deployment changed.");
	mlp_buf_addf(out, "mlp_model_swaps_total %llu\n",
	    (unsigned long long)mt->swaps);
	head(out, "mlp_requests_total", "counter",
	    "Requests answered, by model, version, protocol and status code.");
	for (struct counter *k = mt->counters; k; k = k->next) {
		mlp_buf_adds(out, "mlp_requests_total{model=\"");
		label(out, k->model);
		mlp_buf_adds(out, "\",version=\"");
		label(out, k->version);
		mlp_buf_addf(out, "\",protocol=\"%s\",code=\"%d\"} %llu\n",
		    proto_names[k->proto], k->code, (unsigned long long)k->n);
	}
	head(out, "mlp_request_errors_total", "counter",
	    "Requests answered with a 4xx or 5xx status.");
	for (struct counter *k = mt->counters; k; k = k->next) {
		if (k->code < 400)
			continue;
		mlp_buf_adds(out, "mlp_request_errors_total{model=\"");
		label(out, k->model);
		mlp_buf_adds(out, "\",version=\"");
		label(out, k->version);
		mlp_buf_addf(out, "\",protocol=\"%s\",code=\"%d\"} %llu\n",
		    proto_names[k->proto], k->code, (unsigned long long)k->n);
	}
	head(out, "mlp_request_duration_seconds", "histogram",
	    "Time from a request's headers to its response, in seconds.");
	for (struct histogram *h = mt->histograms; h; h = h->next) {
		uint64_t cum = 0;
		char v[32];

		for (size_t i = 0; i <= NBUCKETS; i++) {
			if (i < NBUCKETS) {
				cum += h->in[i];
				mlp_fmt_double(buckets[i], v, sizeof(v));
			} else {
				cum = h->count;
				snprintf(v, sizeof(v), "+Inf");
			}
			mlp_buf_adds(out, "mlp_request_duration_seconds_bucket"
			    "{model=\"");
			label(out, h->model);
			mlp_buf_addf(out, "\",protocol=\"%s\",le=\"%s\"} %llu\n",
			    proto_names[h->proto], v, (unsigned long long)cum);
		}
		mlp_buf_adds(out, "mlp_request_duration_seconds_sum{model=\"");
		label(out, h->model);
		mlp_buf_addf(out, "\",protocol=\"%s\"} %.9g\n",
		    proto_names[h->proto], h->sum);
		mlp_buf_adds(out, "mlp_request_duration_seconds_count"
		    "{model=\"");
		label(out, h->model);
		mlp_buf_addf(out, "\",protocol=\"%s\"} %llu\n",
		    proto_names[h->proto], (unsigned long long)h->count);
	}
	pthread_mutex_unlock(&mt->lock);
}
