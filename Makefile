# infolettre - build, test, install.  See README.md.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/infolettre
MANDIR  ?= $(PREFIX)/share/man
CGIDIR  ?= $(PREFIX)/lib/cgi-bin
DOCDIR  ?= $(PREFIX)/share/doc/infolettre
UNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=
# Where the installed examples and units say things are (not installed):
# the configuration, the data and its owner, the FastCGI socket, the web
# server's group.
SYSCONFDIR ?= /etc
STATEDIR   ?= /var/lib/infolettre
RUNDIR     ?= /run
OWNER      ?= infolettre
WEBGROUP   ?= www-data
VERSION  = 0.1.0

BUILD ?= build
BIN   ?= infolettre
CC    ?= cc
CXX   ?= c++
SAN   ?=
WERROR ?= -Werror

PKGS = libcmark-gfm yaml-0.1 sqlite3 gnutls libcrypto libcurl libidn2
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# libvips and GLib: their headers are not clean under our warnings
VIPS_CFLAGS := $(shell pkg-config --cflags vips 2>/dev/null | sed 's/-I/-isystem /g')
# libvips is not linked: picture.c loads it (dlopen) when a picture is
# first looked at, by the name read here off the library
VIPS_SONAME := $(shell objdump -p $$(pkg-config --variable=libdir vips 2>/dev/null)/libvips.so 2>/dev/null | awk '/SONAME/ { print $$2 }')
VIPS_CFLAGS += $(if $(VIPS_SONAME),-DVIPS_SONAME='"$(VIPS_SONAME)"')

# The warnings come after the user's CFLAGS so that they cannot be switched off.
WARN = -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wvla \
	-Wformat=2
override CFLAGS := -O2 -g $(CFLAGS) -std=c11 $(WARN) $(WERROR) $(SAN) \
	-D_GNU_SOURCE -DVERSION='"$(VERSION)"' -DDATADIR='"$(DATADIR)"' $(PKG_CFLAGS) $(VIPS_CFLAGS)
override CXXFLAGS := -O2 -g $(CXXFLAGS) -std=c++11 -Wall -Wextra $(WERROR) $(SAN) \
	-DDATADIR='"$(DATADIR)"'
# libetpan: -letpan alone (its pkg-config adds a no-PIE spec)
LIBS = -lcmark-gfm-extensions $(PKG_LIBS) -letpan -lcsv -lctemplate -lstdc++ -lpthread -lm

# The modules go into $(LIB); the command layer (main.c, cmd.c, cmd_*.c)
# and everything else that runs (the tests, the test tools, the fuzz
# targets) link it. No module calls the command layer.
SRC     := $(wildcard src/*.c)
CXXSRC  := $(wildcard src/*.cc)
OBJ     := $(SRC:src/%.c=$(BUILD)/%.o) $(CXXSRC:src/%.cc=$(BUILD)/%.o)
CMDOBJ  := $(filter $(BUILD)/main.o $(BUILD)/cmd.o $(BUILD)/cmd_%.o,$(OBJ))
LIBOBJ  := $(filter-out $(CMDOBJ),$(OBJ))
LIB     := $(BUILD)/libinfolettre.a
UNITSRC := $(wildcard tests/unit/test_*.c)
UNITBIN := $(UNITSRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps check asan install uninstall clean demo bench-collect units golden
.PHONY: dist-files deb check-deb
.PHONY: fuzz fuzz-build
.PHONY: bench-import
.PHONY: bench-send
.PHONY: bench-replies bench-compose bench

all: $(BIN)

$(BIN): $(CMDOBJ) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CMDOBJ) $(LIB) $(LIBS)

$(LIB): $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

# -MMD -MP: the compiler writes what each object includes (build/*.d), so
# touching a header rebuilds only what includes it.
$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/%.o: src/%.cc | $(BUILD)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -MMD -MP -c -o $@ $<

$(BUILD):
	mkdir -p $(BUILD)/tests

$(BUILD)/tests/%: tests/unit/%.c $(LIB) | $(BUILD)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Isrc -MMD -MP $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

units: $(UNITBIN)

# Test drivers (tests/tools/*.c), linked like the unit tests, not run by them.
TOOLSRC := $(wildcard tests/tools/*.c)
TOOLBIN := $(TOOLSRC:tests/tools/%.c=$(BUILD)/tests/tools/%)
$(BUILD)/tests/tools/%: tests/tools/%.c $(LIB) | $(BUILD)
	@mkdir -p $(BUILD)/tests/tools
	$(CC) $(CFLAGS) -Isrc -MMD -MP $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)
units: $(TOOLBIN)

-include $(OBJ:.o=.d) $(UNITBIN:=.d) $(TOOLBIN:=.d)

# Debian packages needed to build and to run the tests (idempotent).
deps:
	@sh tests/deps.sh

# Build and run every test (tests/run.sh): one line per test file as it
# ends, the failures' detail, and last "N passed, N failed". VERBOSE=1
# prints every check; TESTS="t_send t_cgi" runs those scripts (and the
# unit tests) only; TIME_SCALE=2 doubles every test's time limit.
check: deps
	@$(MAKE) --no-print-directory all units
	@INFOLETTRE=$(abspath $(BIN)) BUILD=$(abspath $(BUILD)) bash tests/run.sh

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer;
# tests/run.sh adds log_path to these options, per test: a report from
# any process fails the test that started it.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan BIN=build/asan/infolettre \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		all units
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		INFOLETTRE=$(abspath build/asan/infolettre) BUILD=$(abspath build/asan) bash tests/run.sh

# libFuzzer: every fuzz/fuzz_*.c, built with clang (ASan+UBSan) and run for
# FUZZ_RUNS inputs each, seeded from fuzz/corpus/NAME/ and with the
# dictionary fuzz/NAME.dict when they exist. Not part of check. A failing
# target prints the end of its log (build/fuzz/NAME.log) and stops; the
# input that failed is kept as build/fuzz/NAME-crash-…
FUZZCC    ?= clang
FUZZCXX   ?= clang++
FUZZ_RUNS ?= 20000
FUZZDIR    = $(BUILD)/fuzz
FUZZSAN    = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZCFLAGS = -O1 -g -std=c11 -Wall -Wextra -D_GNU_SOURCE -DVERSION='"$(VERSION)"' \
	-DDATADIR='"$(DATADIR)"' $(PKG_CFLAGS) $(VIPS_CFLAGS) $(FUZZSAN)
FUZZSRC   := $(wildcard fuzz/fuzz_*.c)
FUZZBIN   := $(FUZZSRC:fuzz/%.c=$(FUZZDIR)/%)
FUZZOBJ   := $(LIBOBJ:$(BUILD)/%.o=$(FUZZDIR)/obj/%.o)
-include $(FUZZOBJ:.o=.d)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@for f in $(FUZZBIN); do \
		n=$$(basename $$f); corpus=$$(mktemp -d); dict=""; \
		if [ -d fuzz/corpus/$$n ]; then cp -R fuzz/corpus/$$n/. $$corpus/; fi; \
		if [ -f fuzz/$$n.dict ]; then dict=-dict=fuzz/$$n.dict; fi; \
		echo "fuzz: $$n ($(FUZZ_RUNS) runs)"; \
		$$f -runs=$(FUZZ_RUNS) -timeout=10 -artifact_prefix=$(FUZZDIR)/$$n- \
			$$dict $$corpus >$(FUZZDIR)/$$n.log 2>&1; \
		rc=$$?; rm -rf $$corpus; \
		if [ $$rc -ne 0 ]; then tail -40 $(FUZZDIR)/$$n.log; exit 1; fi; \
	done

fuzz-build: $(FUZZBIN)

$(FUZZDIR)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZCFLAGS) -MMD -MP -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZDIR)/obj/%.o: src/%.cc
	@mkdir -p $(@D)
	$(FUZZCXX) -MMD -MP -O1 -g -std=c++11 -DDATADIR='"$(DATADIR)"' $(FUZZSAN) \
		-fsanitize=fuzzer-no-link -c -o $@ $<

# An archive, so that each target links only the modules it uses.
$(FUZZDIR)/libinfolettre.a: $(FUZZOBJ)
	rm -f $@
	ar rcs $@ $(FUZZOBJ)

$(FUZZDIR)/fuzz_%: fuzz/fuzz_%.c $(FUZZDIR)/libinfolettre.a
	$(FUZZCC) $(FUZZCFLAGS) -fsanitize=fuzzer-no-link -Isrc -c -o $@.o $<
	$(FUZZCXX) $(FUZZSAN) -fsanitize=fuzzer -o $@ $@.o \
		$(FUZZDIR)/libinfolettre.a $(LIBS)

# The quick start: the main job on the sample configuration: the sample
# site, four fictional subscribers, the issue of June 2026 sent into the
# Maildir "outbox". A sub-make builds, so that pkg-config runs after deps
# has installed the libraries. Run it again: nobody is mailed twice.
demo: deps
	@$(MAKE) --no-print-directory all
	chmod 700 subscribers
	./$(BIN) -c infolettre.yaml subscribers import subscribers/sample-subscribers.csv
	./$(BIN) -c infolettre.yaml send 2026-06
	./$(BIN) -c infolettre.yaml status 2026-06
	./$(BIN) -c infolettre.yaml archive

# The golden test issues, rewritten after a deliberate change; t_compose
# checks that make check renders them byte for byte, at the same
# SOURCE_DATE_EPOCH (tests/run.sh's).
GOLDEN_EPOCH = 1780000000
golden: all
	SOURCE_DATE_EPOCH=$(GOLDEN_EPOCH) ./$(BIN) -c infolettre.yaml compose 2026-06
	SOURCE_DATE_EPOCH=$(GOLDEN_EPOCH) ./$(BIN) -c tests/hugo.yaml compose 2026-07
	SOURCE_DATE_EPOCH=$(GOLDEN_EPOCH) ./$(BIN) -c tests/editors/infolettre.yaml compose 2026-09

bench-collect: all
	@bash tests/bench/collect.sh

# Import a generated 1,000,000-row CSV beside the sqlite3 shell's .import.
bench-import: all
	@INFOLETTRE=$(abspath $(BIN)) bash tests/bench/import.sh

# send to 100,000 subscribers through smtp-sink beside smtp-source (also
# signed, Ed25519 and RSA-2048), and a --dry-run at 1,000,000: rates,
# ratios, CPU a message, peak memory. SUBSCRIBERS=, DRY_SUBSCRIBERS= for a
# smaller run. Every bench exits 0 when it ran; a target missed says
# MISSED (a slow shared machine is not a failure).
bench-send: all
	@INFOLETTRE=$(abspath $(BIN)) bash tests/bench/send.sh

# classify a generated Maildir of 20,000 messages (2-50 KB) in one
# `replies --dry-run` and with `replies classify`, beside cat: the ratio.
bench-replies: all
	@INFOLETTRE=$(abspath $(BIN)) bash tests/bench/replies.sh

# compose an issue of 50 posts, 10 events and 20 pictures: time, memory.
bench-compose: all
	@INFOLETTRE=$(abspath $(BIN)) bash tests/bench/compose.sh

# Every bench, one after the other (about 10 minutes), each one's output in
# $(BUILD)/bench/NAME.log, then one table of every target: figure and
# verdict.
BENCHES = collect import send replies compose
bench: all
	@mkdir -p $(BUILD)/bench
	@for b in $(BENCHES); do \
		echo "== bench-$$b"; \
		INFOLETTRE=$(abspath $(BIN)) bash tests/bench/$$b.sh \
			> $(BUILD)/bench/$$b.log 2>&1 || \
			echo "bench-$$b: did not run through (exit $$?)" >> $(BUILD)/bench/$$b.log; \
		grep -E 'target|did not run' $(BUILD)/bench/$$b.log | sed 's/^/   /'; \
	done
	@bash tests/bench/summary.sh $(BUILD)/bench $(BENCHES)

# Install: the binary, the unsubscribe endpoint (a link to it: the binary
# serves it under that name), the templates, the man page, the examples
# (configuration, nginx, lighttpd) and the systemd units. A record of what
# was written ($(MANIFEST)) lets uninstall remove exactly that and nothing
# an administrator changed or added.
MANIFEST = $(DATADIR)/installed-files
SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' \
	-e 's|@CGIDIR@|$(CGIDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	-e 's|@STATEDIR@|$(STATEDIR)|g' -e 's|@RUNDIR@|$(RUNDIR)|g' \
	-e 's|@USER@|$(OWNER)|g' -e 's|@WEBGROUP@|$(WEBGROUP)|g'
UNITS = infolettre-replies.service infolettre-fcgiwrap.socket \
	infolettre-fcgiwrap.service

dist-files:
	@mkdir -p $(BUILD)/dist
	@for f in dist/*.in; do \
		$(SUBST) $$f > $(BUILD)/dist/$$(basename $$f .in) || exit 1; \
	done

install: all dist-files
	@echo "install into $(DESTDIR)$(PREFIX):"
	@{ \
	echo "755 $(BIN) $(BINDIR)/infolettre"; \
	echo "link $$(realpath -m --relative-to=$(CGIDIR) $(BINDIR)/infolettre) \
		$(CGIDIR)/infolettre-unsubscribe.cgi"; \
	for f in templates/*.tpl; do echo "644 $$f $(DATADIR)/$$f"; done; \
	echo "dir - $(DATADIR)/www"; \
	echo "644 infolettre.1 $(MANDIR)/man1/infolettre.1"; \
	echo "644 $(BUILD)/dist/infolettre.yaml.example $(DOCDIR)/infolettre.yaml.example"; \
	echo "644 $(BUILD)/dist/nginx.conf $(DOCDIR)/nginx.conf"; \
	echo "644 $(BUILD)/dist/lighttpd.conf $(DOCDIR)/lighttpd.conf"; \
	echo "644 subscribers/README.md $(DOCDIR)/subscribers.md"; \
	for u in $(UNITS); do echo "644 $(BUILD)/dist/$$u $(UNITDIR)/$$u"; done; \
	echo "644 dist/infolettre-replies.timer $(UNITDIR)/infolettre-replies.timer"; \
	} | sh dist/install.sh install '$(DESTDIR)' '$(MANIFEST)'

uninstall:
	@sh dist/install.sh uninstall '$(DESTDIR)' '$(MANIFEST)'

# A Debian package with the standard tooling (debian/, dpkg-buildpackage),
# built from a copy of the working tree (tracked and new files; nothing
# ignored) in $(DEBDIR), where the .deb lands; lintian must find no error.
DEBDIR = build/deb
deb:
	rm -rf $(DEBDIR)
	mkdir -p $(DEBDIR)/infolettre-$(VERSION)
	git ls-files -z -co --exclude-standard | \
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null | \
		tar -xf - -C $(DEBDIR)/infolettre-$(VERSION)
	cd $(DEBDIR)/infolettre-$(VERSION) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error $(DEBDIR)/infolettre_$(VERSION)_*.deb

# The package installed on this machine (root): lintian, the sample job
# run as the infolettre user, the endpoint behind nginx, then a purge.
check-deb: deps
	@$(MAKE) --no-print-directory deb
	@# a shell glob: make expands a recipe before its first line builds the .deb
	@bash tests/deb.sh "$$(ls $(abspath $(DEBDIR))/infolettre_$(VERSION)_*.deb)"

clean:
	rm -rf build $(BIN)
