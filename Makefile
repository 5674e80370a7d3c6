# infolettre - build, test, install.  See README.md.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/infolettre
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=
VERSION  = 0.1.0

BUILD ?= build
BIN   ?= infolettre
CC    ?= cc
CXX   ?= c++
SAN   ?=
WERROR ?= -Werror

PKGS = libcmark-gfm yaml-0.1 sqlite3 gnutls libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# The warnings come after the user's CFLAGS so that they cannot be switched off.
override CFLAGS := -O2 -g $(CFLAGS) -std=c11 -Wall -Wextra $(WERROR) $(SAN) \
	-D_GNU_SOURCE -DVERSION='"$(VERSION)"' -DDATADIR='"$(DATADIR)"' $(PKG_CFLAGS)
override CXXFLAGS := -O2 -g $(CXXFLAGS) -std=c++11 -Wall -Wextra $(WERROR) $(SAN) \
	-DDATADIR='"$(DATADIR)"'
# libetpan: -letpan alone (its pkg-config adds a no-PIE spec)
LIBS = -lcmark-gfm-extensions $(PKG_LIBS) -letpan -lcsv -lctemplate -lstdc++ -lpthread -lm

SRC     := $(wildcard src/*.c)
CXXSRC  := $(wildcard src/*.cc)
OBJ     := $(SRC:src/%.c=$(BUILD)/%.o) $(CXXSRC:src/%.cc=$(BUILD)/%.o)
LIBOBJ  := $(filter-out $(BUILD)/main.o,$(OBJ))
UNITSRC := $(wildcard tests/unit/test_*.c)
UNITBIN := $(UNITSRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps check asan install uninstall clean demo bench-collect units

all: $(BIN)

$(BIN): $(OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJ) $(LIBS)

$(BUILD)/%.o: src/%.c $(wildcard src/*.h) | $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/%.o: src/%.cc $(wildcard src/*.h) | $(BUILD)
	$(CXX) $(CXXFLAGS) -c -o $@ $<

$(BUILD):
	mkdir -p $(BUILD)/tests

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(LIBOBJ) | $(BUILD)
	$(CC) $(CFLAGS) -Isrc $(LDFLAGS) -o $@ $< $(LIBOBJ) $(LIBS)

units: $(UNITBIN)

# Debian packages needed to build and to run the tests (idempotent).
deps:
	@sh tests/deps.sh

# Build and run every test; the last line is "N passed, N failed".
check: deps
	@$(MAKE) --no-print-directory all units
	@INFOLETTRE=$(abspath $(BIN)) BUILD=$(abspath $(BUILD)) bash tests/run.sh

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan BIN=build/asan/infolettre \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		all units
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		INFOLETTRE=$(abspath build/asan/infolettre) BUILD=$(abspath build/asan) bash tests/run.sh

# The quick start: collect the sample site's June 2026.
demo: all
	./$(BIN) -c infolettre.yaml collect 2026-06

bench-collect: all
	@bash tests/bench/collect.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/templates $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/infolettre
	for f in templates/*; do [ -f "$$f" ] && install -m 644 "$$f" $(DESTDIR)$(DATADIR)/templates/; done; true
	install -m 644 infolettre.1 $(DESTDIR)$(MANDIR)/man1/infolettre.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/infolettre $(DESTDIR)$(MANDIR)/man1/infolettre.1
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build $(BIN)
