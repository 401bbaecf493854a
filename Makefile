# mlp: build, test, install. `make help` lists the targets.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
PKG_CONFIG ?= pkg-config

# The one list of Debian packages the build (DEB_BUILD) and the tests
# (DEB_TEST) need; make deps installs them. The tests call python3 (to
# craft archives), zsh and fish (completions), mandoc and groff (man
# pages), openssl (the https test's certificate), zstd and pgrep; the
# server's and deploy's tests curl, python3-jsonschema (the OIP and KServe
# schemas), python3-yaml (rendered InferenceServices), wrk (load during
# hot swaps), slowhttptest (slow clients) and zzuf (mutated requests).
# DEB_OPTIONAL: the servers some tests start, as PACKAGE:COMMAND (present
# when the package or the command is there: node may be NodeSource's).
# make deps installs them only as root (`make deps DEB_OPTIONAL=` leaves
# them out; Debian starts their services on install), then, wherever npm
# is, s3rver into build/s3rver, where tests/s3.bats looks for it. Their
# tests skip without them.
DEB_BUILD = make gcc pkg-config libsqlite3-dev libcjson-dev libgit2-dev libssl-dev libcurl4-openssl-dev libarchive-dev libyaml-dev libmicrohttpd-dev libhiredis-dev
DEB_TEST  = bats sqlite3 git python3 zsh fish mandoc groff-base openssl zstd procps \
	    curl python3-jsonschema python3-yaml wrk slowhttptest zzuf
DEB_OPTIONAL = nginx-light:nginx slurm-wlm:slurmctld munge:munged nodejs:node npm:npm \
	       prometheus:promtool redis-server:redis-server
DEB_FUZZ  = clang libclang-rt-dev
# The peers the benchmarks (make perf) run against: XGBoost, NumPy and pandas
# under /usr/bin/python3, a Flask app under gunicorn (tests/perf/serve.sh;
# nginx is in DEB_OPTIONAL). make perf names the missing ones; each
# script skips what it lacks.
DEB_PERF  = gunicorn python3-flask python3-xgboost python3-numpy python3-pandas
DEB_PKGS  = $(DEB_BUILD) $(DEB_TEST)
S3RVER_DIR = build/s3rver

# Linked at build time. libgit2, libcrypto, libcurl, libarchive,
# libmicrohttpd and libhiredis are loaded on first use instead
# (lib/core/dl.h): together they drag in over 30 shared libraries whose
# loading would triple the start-up time of every command.
PKGS      = sqlite3 libcjson yaml-0.1
LAZY_PKGS = libgit2 libcrypto libcurl libarchive libmicrohttpd hiredis

OPT     ?= -O2
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wno-unused-parameter -Wformat=2 -Wvla
ifeq ($(WERROR),1)
WARN    += -Werror
endif
ifeq ($(SAN),1)
OPT      = -O1 -fno-omit-frame-pointer
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif
# the file name a lazily loaded library is opened by: its SONAME (found
# where pkg-config says, else where the compiler would link it from:
# Debian 12's hiredis.pc names the wrong libdir)
soname = $(shell libdir=$$($(PKG_CONFIG) --variable=libdir $(1) 2>/dev/null); \
	f="$$libdir/$(2).so"; [ -e "$$f" ] || f=$$($(CC) -print-file-name=$(2).so); \
	objdump -p "$$f" 2>/dev/null | awk '/SONAME/ { print $$2 }')
CPPFLAGS += -D_GNU_SOURCE -Ilib \
	    -DMLP_LIBGIT2_SONAME='"$(call soname,libgit2,libgit2)"' \
	    -DMLP_LIBCRYPTO_SONAME='"$(call soname,libcrypto,libcrypto)"' \
	    -DMLP_LIBARCHIVE_SONAME='"$(call soname,libarchive,libarchive)"' \
	    -DMLP_LIBCURL_SONAME='"$(call soname,libcurl,libcurl)"' \
	    -DMLP_LIBMICROHTTPD_SONAME='"$(call soname,libmicrohttpd,libmicrohttpd)"' \
	    -DMLP_LIBHIREDIS_SONAME='"$(call soname,hiredis,libhiredis)"' \
	    $(shell $(PKG_CONFIG) --cflags $(PKGS) $(LAZY_PKGS) 2>/dev/null)
CFLAGS  ?= -g
CFLAGS  += -std=gnu11 $(OPT) $(WARN) $(SANFLAGS) -MMD -MP
LDFLAGS += $(SANFLAGS) -Wl,--as-needed -Wl,-O1
LDLIBS  += $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -ldl -lm -lpthread

LIB_SRC  = $(sort $(wildcard lib/*/*.c))
CMD_SRC  = $(sort $(wildcard cmd/*.c))
UNIT_SRC = $(sort $(wildcard tests/unit/*_test.c))
FUZZ_SRC = $(sort $(wildcard tests/fuzz/*_fuzz.c))
PERF_SRC = $(sort $(wildcard tests/perf/*_bench.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ  = $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)
PERF_BIN = $(PERF_SRC:tests/perf/%.c=$(BUILD)/perf/%)
MAN      = $(sort $(wildcard man/*.1))

.PHONY: all check unit perf-bins bats asan fuzz perf deps demo install uninstall \
	clean format lint help

all: $(BUILD)/mlp

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libmlp.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/mlp: $(CMD_OBJ) $(BUILD)/libmlp.a
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJ) $(BUILD)/libmlp.a $(LDLIBS)

$(BUILD)/unit/%: tests/unit/%.c tests/unit/tap.h tests/unit/frames.h $(BUILD)/libmlp.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libmlp.a $(LDLIBS)

unit: $(UNIT_BIN)

# in-process benchmarks (tests/perf/*_bench.c) that the perf scripts run
$(BUILD)/perf/%: tests/perf/%.c $(BUILD)/libmlp.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libmlp.a $(LDLIBS)

perf-bins: $(PERF_BIN)

# The whole suite: C unit tests, then every tests/*.bats; the last line it
# prints is "N passed, N failed".
check: deps all unit
	@MLP_BUILD=$(BUILD) sh tests/run-suite $(UNIT_BIN)

asan:
	$(MAKE) BUILD=build/asan SAN=1 check

FUZZ_SECONDS ?= 30
fuzz:
	@command -v clang >/dev/null || { echo "make fuzz needs clang: apt-get install $(DEB_FUZZ)"; exit 1; }
	$(MAKE) BUILD=build/fuzz CC=clang OPT="-O1 -g" \
		SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined" build/fuzz/libmlp.a
	@mkdir -p build/fuzz/corpus
	@set -e; for src in $(FUZZ_SRC); do \
		name=$$(basename $$src .c); \
		clang $(CPPFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
			-o build/fuzz/$$name $$src build/fuzz/libmlp.a $(LDLIBS); \
		mkdir -p build/fuzz/corpus/$$name; \
		echo "fuzzing $$name for $(FUZZ_SECONDS)s"; \
		max=$$(sed -n 's/.*fuzz: max_len=\([0-9]*\).*/\1/p' $$src); \
		build/fuzz/$$name -max_total_time=$(FUZZ_SECONDS) -max_len=$${max:-512} \
			build/fuzz/corpus/$$name tests/fuzz/seeds/$$name 2>&1 | tail -n 3; \
	done

perf: all perf-bins
	@missing=; for p in $(DEB_PERF); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] || echo "missing peers (their benchmarks skip); run: sudo apt-get install$$missing"
	@set -e; for f in tests/perf/*.sh; do echo "== $$f"; sh $$f $(BUILD); done

# Installs the missing Debian packages when run as root, else prints the
# apt-get line to run and fails; the optional servers are installed when
# root and only named otherwise. Then s3rver, when npm is there; a failure
# there fails nothing (the S3 tests skip).
deps:
	@missing=; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	optional=; for pc in $(DEB_OPTIONAL); do \
		p=$${pc%%:*}; \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || \
		command -v $${pc#*:} >/dev/null 2>&1 || optional="$$optional $$p"; \
	done; \
	if [ "$$(id -u)" = 0 ]; then \
		export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes; \
		[ -z "$$missing$$optional" ] || apt-get update -qq || exit 1; \
		if [ -n "$$missing" ]; then \
			echo "installing:$$missing"; \
			apt-get install -y -qq $$missing >/dev/null || exit 1; \
		fi; \
		for p in $$optional; do \
			dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" && continue; \
			echo "installing $$p (optional: the tests that need it skip without it)"; \
			apt-get install -y -qq $$p >/dev/null || echo "$$p not installed"; \
		done; \
	else \
		[ -z "$$optional" ] || echo "optional, for the tests that start servers (they skip without them):$$optional"; \
		if [ -n "$$missing" ]; then \
			echo "missing packages; run: sudo apt-get install$$missing"; exit 1; \
		fi; \
	fi; \
	if command -v npm >/dev/null 2>&1 && [ ! -x $(S3RVER_DIR)/node_modules/.bin/s3rver ]; then \
		echo "installing s3rver into $(S3RVER_DIR) (npm)"; \
		mkdir -p $(S3RVER_DIR) && echo '{"private": true}' > $(S3RVER_DIR)/package.json && \
		(cd $(S3RVER_DIR) && npm install --silent --no-audit --no-fund --fetch-retries=1 \
			s3rver@3 >/dev/null 2>&1) || echo "s3rver not installed: the S3 tests skip"; \
	fi

demo: deps all
	@PATH="$(CURDIR)/$(BUILD):$$PATH" sh share/examples/quickstart/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(BUILD)/mlp $(DESTDIR)$(PREFIX)/bin/mlp
	install -m 644 $(MAN) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 completions/mlp.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/mlp
	install -m 644 completions/_mlp $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_mlp
	install -m 644 completions/mlp.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/mlp.fish

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/mlp \
		$(MAN:man/%=$(DESTDIR)$(PREFIX)/share/man/man1/%) \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/mlp \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_mlp \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/mlp.fish

format:
	clang-format -i $(LIB_SRC) $(CMD_SRC) lib/*/*.h cmd/*.h

lint:
	cppcheck --quiet --enable=warning,performance,portability \
		--suppress=missingIncludeSystem -Ilib $(LIB_SRC) $(CMD_SRC)

clean:
	rm -rf build

help:
	@echo "targets: all check asan fuzz perf deps demo install uninstall clean format lint"

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d)
