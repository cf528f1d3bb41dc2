# nkdigest — build, demo, tests, benchmark, install.
#
#   make               build ./nkdigest
#   make demo          install missing build packages, build, render the sample
#   make test          install missing test packages, run every test twice:
#                      a normal build and an AddressSanitizer + UBSan build
#   make bench         one table: send rate beside smtp-source (loopback and a
#                      10 ms round trip), memory, feed parsing, a 1,000-article
#                      digest beside rss2email (BENCH_ARGS=--write: BENCHMARKS.md)
#   make fuzz          run each libFuzzer target for a few minutes (FUZZ_SECONDS)
#   make preview       render the sample's variants and screenshot them (600 and
#                      375 px, light and dark) with headless Chromium, in preview/
#   make check-layers  check that includes point down the layers (make test runs it)
#   make install PREFIX=/usr/local [DESTDIR=...]   binary, man pages, templates,
#                      examples, systemd units; `make uninstall` removes them
#   make deb           the Debian package, in build/deb/ (checked with lintian)
#
# Objects go to build/<variant>/ (release or asan), so both builds coexist.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR  ?= $(DATADIR)/man
DOCDIR  ?= $(DATADIR)/doc/nkdigest
UNITDIR ?= $(PREFIX)/lib/systemd/system
# The units run nkdigest with this directory's nkdigest/nkdigest.conf: /etc,
# where nkdigest itself looks last, whatever the PREFIX.
SYSCONFDIR ?= /etc
CC      ?= cc
CFLAGS  ?= -O2 -g
LDFLAGS ?=

BUILD ?= release
OUT    = build/$(BUILD)

STD  = -std=c11 -D_GNU_SOURCE
WARN = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ifeq ($(CI),true)
WARN += -Werror
endif
ifeq ($(BUILD),asan)
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
# The fuzzing build: clang, libFuzzer's coverage hooks, ASan and UBSan.
ifeq ($(BUILD),fuzz)
override CC := clang
SAN = -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
      -fno-sanitize-recover=undefined
# clang also flags the va_list format passed on by log.c's emit().
WARN += -Wno-format-nonliteral
endif

# pkg-config for every library. libetpan's .pc adds a dpkg "-specs=" flag that
# breaks the link where dpkg's files are missing: filter it out. libunistring
# ships no .pc file on Debian. Evaluated once, on first use, so that
# `make demo` can install the packages before anything asks pkg-config.
PKGS = libetpan libcurl libcjson sqlite3 libxml-2.0 gnutls opendkim libmicrohttpd
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(filter-out -specs=%,$$(shell pkg-config --libs $(PKGS))) -lunistring)$(PKG_LIBS)
TEST_LIBS  = $(eval TEST_LIBS := $$(shell pkg-config --libs cmocka))$(TEST_LIBS)

override CFLAGS  += $(STD) $(WARN) $(SAN) -pthread $(PKG_CFLAGS)
override LDFLAGS += $(SAN) -pthread

# The layers, bottom up (README "Where things are"), one file per concern:
#   util/    helpers both sides use
#   mail/    mail standards; knows nothing of nkdigest's config, state or editions
#   digest/  the program (config, editions, delivery, state), then the
#            commands (main, cli, cmd_*) on top
UTIL    = xalloc buf err log ini datetime utf8 html_text wrap csv spool
MAIL    = base64 address rfc2047 mime unsubscribe smtp smtp_connect smtp_classify dkim_sign dsn
PROGRAM = config subscribers suppressions article fetch feed feed_json feed_jsonfeed feed_wordpress \
          collect select group template render edition personalise deliver state \
          shard archive serve bounces suppress_queue
CMDS    = cli cmd_render cmd_send cmd_fetch cmd_check cmd_status cmd_archive \
          cmd_unsubscribe cmd_serve cmd_bounces

# Each layer is compiled with only its own and lower include paths, so an
# include that points up the layers does not compile. scripts/check-layers
# checks the rest: commands above the program, each library in its module.
INC_util   = -Iutil
INC_mail   = -Imail -Iutil
INC_digest = -Idigest -Imail -Iutil

LIB_OBJS = $(UTIL:%=$(OUT)/util/%.o) $(MAIL:%=$(OUT)/mail/%.o) \
           $(PROGRAM:%=$(OUT)/digest/%.o) $(OUT)/templates_builtin.o
BIN_OBJS = $(OUT)/digest/main.o $(CMDS:%=$(OUT)/digest/%.o)
TEMPLATES = templates/subject.txt templates/digest.txt templates/digest.html \
            templates/archive.html templates/article.txt templates/footer.txt \
            templates/article.html templates/footer.html templates/style.html \
            templates/button.html

# One unit test program per module it tests.
UNIT = test_utf8 test_html_text test_wrap test_datetime test_config \
       test_address test_rfc2047 test_mime test_smtp_classify test_template \
       test_feed test_feed_json test_select test_group test_subscribers test_state \
       test_shard test_render test_unsubscribe test_dsn
UNIT_BINS = $(UNIT:%=$(OUT)/tests/%)

# libFuzzer targets (tests/fuzz/), one per parser of untrusted input.
FUZZ = fuzz_feed fuzz_feed_json fuzz_html_text fuzz_template fuzz_ini fuzz_subscribers \
       fuzz_dsn fuzz_token fuzz_suppressions
FUZZ_BINS = $(FUZZ:%=build/fuzz/tests/%)
FUZZ_SECONDS ?= 180

.PHONY: all demo test check check-layers unit-bins fuzz fuzz-bins bench preview install \
        uninstall deb clean deps deps-test deps-package deps-preview deps-bench
all: nkdigest

nkdigest: $(OUT)/nkdigest
ifeq ($(BUILD),release)
	cp $< $@
endif

$(OUT)/nkdigest: $(BIN_OBJS) $(OUT)/libnk.a
	$(CC) $(LDFLAGS) -o $@ $(BIN_OBJS) $(OUT)/libnk.a $(PKG_LIBS)

$(OUT)/libnk.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(OUT)/util/%.o: util/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(INC_util) -MMD -MP -c -o $@ $<
$(OUT)/mail/%.o: mail/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(INC_mail) -MMD -MP -c -o $@ $<
$(OUT)/digest/%.o: digest/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(INC_digest) -MMD -MP -c -o $@ $<

# The default templates are compiled in, so the binary works from anywhere;
# `templates = DIR` in the config overrides them file by file.
$(OUT)/templates_builtin.c: $(TEMPLATES) scripts/embed-templates
	@mkdir -p $(dir $@)
	scripts/embed-templates $(TEMPLATES) > $@
$(OUT)/templates_builtin.o: $(OUT)/templates_builtin.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Tests see every layer; tests/unit/support.c holds what several share.
$(OUT)/tests/%: tests/unit/%.c tests/unit/support.c tests/unit/support.h $(OUT)/libnk.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_digest) -Itests/unit $(LDFLAGS) -o $@ $< tests/unit/support.c \
		$(OUT)/libnk.a $(PKG_LIBS) $(TEST_LIBS)

unit-bins: $(OUT)/nkdigest $(UNIT_BINS)

build/fuzz/tests/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h build/fuzz/libnk.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_digest) -fsanitize=fuzzer -o $@ $< build/fuzz/libnk.a $(PKG_LIBS)

# Built in their own variant (BUILD=fuzz: clang), beside release and asan.
fuzz-bins:
	@$(MAKE) --no-print-directory BUILD=fuzz $(FUZZ_BINS)

# Each target for FUZZ_SECONDS, its corpus growing in build/fuzz/corpus/.
fuzz: deps-test fuzz-bins
	tests/fuzz/run $(FUZZ_SECONDS) build/fuzz/corpus

deps:
	@scripts/install-deps build
deps-test:
	@scripts/install-deps test
deps-package:
	@scripts/install-deps package
deps-preview:
	@scripts/install-deps preview
deps-bench:
	@scripts/install-deps bench

# Quiet build (warnings still show), so the digest is what you see.
demo: deps
	@$(MAKE) --no-print-directory -s nkdigest
	./nkdigest -c config/demo.conf render --stdout

# Both builds first, then one run over both, ending in "N passed, N failed".
test: deps-test check-layers
	@$(MAKE) --no-print-directory BUILD=release unit-bins nkdigest
	@$(MAKE) --no-print-directory BUILD=asan unit-bins
	@$(MAKE) --no-print-directory fuzz-bins
	tests/run release asan

check: test

check-layers:
	@scripts/check-layers

# Markdown on stdout; `make bench BENCH_ARGS=--write` also writes
# BENCHMARKS.md, and BENCH_ARGS="--rounds 3 --only 1,5" runs less.
bench: deps-bench
	@$(MAKE) --no-print-directory nkdigest
	tests/bench/run $(BENCH_ARGS)

# What the templates look like, for template authors: preview/<tier>.html,
# .txt, .eml, archive/, and a PNG of each page. Look at the PNGs.
preview: deps-preview
	@$(MAKE) --no-print-directory -s nkdigest
	scripts/preview preview

# ---- install ----
# What `make install` puts where; `make uninstall` removes exactly these
# files, and the directories that are nkdigest's own once they are empty.
MAN_PAGES = doc/nkdigest.1 doc/nkdigest.conf.5
EXAMPLES  = config/example.conf:nkdigest.conf config/subscribers.example.csv:subscribers.csv \
            config/cron.example:cron.example
UNITS     = nkdigest.service nkdigest.timer nkdigest@.service nkdigest@.timer \
            nkdigest-serve.service

install: nkdigest
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(DATADIR)/nkdigest/templates $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(UNITDIR)
	install -m 755 nkdigest $(DESTDIR)$(BINDIR)/nkdigest
	install -m 644 doc/nkdigest.1 $(DESTDIR)$(MANDIR)/man1/nkdigest.1
	install -m 644 doc/nkdigest.conf.5 $(DESTDIR)$(MANDIR)/man5/nkdigest.conf.5
	install -m 644 $(TEMPLATES) $(DESTDIR)$(DATADIR)/nkdigest/templates/
	$(foreach e,$(EXAMPLES),install -m 644 $(word 1,$(subst :, ,$(e))) \
		$(DESTDIR)$(DOCDIR)/examples/$(word 2,$(subst :, ,$(e)));)
	# The units name the installed binary and the config directory.
	$(foreach u,$(UNITS),sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		$(wildcard systemd/$(u).in systemd/$(u)) > $(DESTDIR)$(UNITDIR)/$(u) && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$(u);)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/nkdigest $(DESTDIR)$(MANDIR)/man1/nkdigest.1 \
		$(DESTDIR)$(MANDIR)/man5/nkdigest.conf.5 \
		$(TEMPLATES:templates/%=$(DESTDIR)$(DATADIR)/nkdigest/templates/%) \
		$(foreach e,$(EXAMPLES),$(DESTDIR)$(DOCDIR)/examples/$(word 2,$(subst :, ,$(e)))) \
		$(UNITS:%=$(DESTDIR)$(UNITDIR)/%)
	-rmdir $(DESTDIR)$(DATADIR)/nkdigest/templates $(DESTDIR)$(DATADIR)/nkdigest \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null

# ---- Debian package ----
# Built from a copy of the checkout in build/deb/, so that dpkg-buildpackage
# writes its results there and not beside the checkout.
VERSION = $(shell sed -n 's/.*NKDIGEST_VERSION "\(.*\)".*/\1/p' util/version.h)
DEB_SRC = build/deb/nkdigest-$(VERSION)

deb: deps-package
	rm -rf build/deb
	mkdir -p $(DEB_SRC)
	if git rev-parse --git-dir >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard | \
			xargs -0 cp -P --parents -t $(DEB_SRC); \
	else \
		tar --exclude=./build --exclude=./nkdigest --exclude=./.git -cf - . | \
			tar -C $(DEB_SRC) -xf -; \
	fi
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error build/deb/nkdigest_$(VERSION)_*.deb
	@ls build/deb/*.deb

clean:
	rm -rf build nkdigest preview

-include $(shell find build -name '*.d' 2>/dev/null)
