# nkdigest — build, demo, tests, benchmark, install.
#
#   make               build ./nkdigest
#   make demo          install missing build packages, build, render the sample
#   make test          install missing test packages, run every test twice:
#                      a normal build and an AddressSanitizer + UBSan build
#   make bench         send-rate and memory measurements against smtp-sink,
#                      feed parsing speed and memory
#   make fuzz          run each libFuzzer target for a few minutes (FUZZ_SECONDS)
#   make check-layers  check that includes point down the layers (make test runs it)
#   make install PREFIX=/usr/local
#
# Objects go to build/<variant>/ (release or asan), so both builds coexist.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
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
PKGS = libetpan libcurl libcjson sqlite3 libxml-2.0 gnutls
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(filter-out -specs=%,$$(shell pkg-config --libs $(PKGS))) -lunistring)$(PKG_LIBS)
TEST_LIBS  = $(eval TEST_LIBS := $$(shell pkg-config --libs cmocka))$(TEST_LIBS)

override CFLAGS  += $(STD) $(WARN) $(SAN) $(PKG_CFLAGS)
override LDFLAGS += $(SAN)

# The layers, bottom up (README "Where things are"), one file per concern:
#   util/    helpers both sides use
#   mail/    mail standards; knows nothing of nkdigest's config, state or editions
#   digest/  the program (config, editions, delivery, state), then the
#            commands (main, cli, cmd_*) on top
UTIL    = xalloc buf err log ini datetime utf8 html_text wrap
MAIL    = base64 address rfc2047 mime unsubscribe smtp
PROGRAM = config subscribers article fetch feed feed_json feed_jsonfeed feed_wordpress \
          collect select group template render edition personalise deliver state
CMDS    = cli cmd_render cmd_send cmd_fetch cmd_check cmd_status

# Each layer is compiled with only its own and lower include paths, so an
# include that points up the layers does not compile. scripts/check-layers
# checks the rest: commands above the program, each library in its module.
INC_util   = -Iutil
INC_mail   = -Imail -Iutil
INC_digest = -Idigest -Imail -Iutil

LIB_OBJS = $(UTIL:%=$(OUT)/util/%.o) $(MAIL:%=$(OUT)/mail/%.o) \
           $(PROGRAM:%=$(OUT)/digest/%.o) $(OUT)/templates_builtin.o
BIN_OBJS = $(OUT)/digest/main.o $(CMDS:%=$(OUT)/digest/%.o)
TEMPLATES = templates/subject.txt templates/digest.txt templates/digest.html

# One unit test program per module it tests.
UNIT = test_utf8 test_html_text test_wrap test_datetime test_config \
       test_address test_rfc2047 test_mime test_smtp_classify test_template \
       test_feed test_feed_json test_select test_group test_subscribers test_state
UNIT_BINS = $(UNIT:%=$(OUT)/tests/%)

# libFuzzer targets (tests/fuzz/), one per parser of untrusted input.
FUZZ = fuzz_feed fuzz_feed_json fuzz_html_text fuzz_template fuzz_ini fuzz_subscribers
FUZZ_BINS = $(FUZZ:%=build/fuzz/tests/%)
FUZZ_SECONDS ?= 180

.PHONY: all demo test check check-layers unit-bins fuzz fuzz-bins bench install clean \
        deps deps-test
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
	$(CC) $(CFLAGS) $(INC_util) -MMD -MP -c -o $@ $<
$(OUT)/mail/%.o: mail/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_mail) -MMD -MP -c -o $@ $<
$(OUT)/digest/%.o: digest/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_digest) -MMD -MP -c -o $@ $<

# The default templates are compiled in, so the binary works from anywhere;
# `templates = DIR` in the config overrides them file by file.
$(OUT)/templates_builtin.c: $(TEMPLATES) scripts/embed-templates
	@mkdir -p $(dir $@)
	scripts/embed-templates $(TEMPLATES) > $@
$(OUT)/templates_builtin.o: $(OUT)/templates_builtin.c
	$(CC) $(CFLAGS) -c -o $@ $<

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

bench: deps-test
	@$(MAKE) --no-print-directory nkdigest
	tests/bench/run

install: nkdigest
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 nkdigest $(DESTDIR)$(BINDIR)/nkdigest

clean:
	rm -rf build nkdigest

-include $(shell find build -name '*.d' 2>/dev/null)
