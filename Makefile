# wsgipack — see README.md. The two commands a newcomer needs:
#   make demo   build the example app in testdata/ into dist/ (.deb and .rpm)
#   make test   install the test tools, then run every test
GO       ?= go
BIN      := bin/wsgipack
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
# Debian packages the tests and the demo use: package tools and linters,
# what testdata/mkvenv.sh needs to build venvs with no index, and gpg (with
# its agent and gpgv) for internal/sign's tests; rpm brings rpmsign;
# createrepo-c and dnf check the yum repositories publish writes,
# apt-utils (apt-ftparchive) the apt ones.
DEPS     := dpkg-dev lintian rpm rpmlint time python3.11 python3-venv python3-virtualenv createrepo-c dnf \
            python3-wheel-whl python3-setuptools-whl python3-pip-whl gcc shellcheck \
            gpg gpg-agent gpgv apt-utils
# What the end-to-end tests (make e2e) need on top: debootstrap builds the
# Debian 11, 12 and 13 roots they install packages into, from this machine's
# apt mirror, and debian-archive-keyring verifies them (see e2e-deps for
# trixie's key); rpm plays EL9's rpm on Debian 12's root,
# util-linux has unshare, coreutils chroot and cp; dnf and gpg are the
# clients and the key of the published-repository scenarios. The rest
# builds EL8's, EL9's and EL10's rpm (4.14.3, 4.16.1.3, 4.19.1.1) from
# testdata/rpm-sources, once per machine (see its README): autotools and
# cmake, gawk for 4.19's tag tables, Berkeley DB for 4.14, Lua 5.3 (4.14)
# and 5.4, sqlite, zstd, OpenSSL, popt, libmagic (all required by their
# configure), zlib; bzip2, xz and libelf are optional there but EL's rpm has
# them, and listing them makes every machine build the same. python3-django
# and python3-flask (with their dependencies) are re-packed into wheels for
# the Django and Flask fixtures' venvs (testdata/debvenv.sh): no PyPI here.
# python3-wheel-whl is testdata/mkvenv.sh's wheel. TestFleet's venvs are
# made with pyenv's CPython 3.9, 3.11 and 3.13, which the machine has.
E2E_DEPS := debootstrap debian-archive-keyring python3-wheel-whl rpm util-linux coreutils dnf gpg gpg-agent \
            gcc make xz-utils autoconf automake libtool autopoint gettext pkg-config cmake gawk \
            libdb-dev liblua5.3-dev liblua5.4-dev libsqlite3-dev libzstd-dev libssl-dev \
            libpopt-dev libmagic-dev zlib1g-dev libbz2-dev liblzma-dev libelf-dev \
            python3-django python3-flask

.PHONY: build deps e2e-deps test e2e lint fuzz demo bench clean

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/wsgipack

# deps installs what is missing (root, or sudo, is needed once).
deps:
	@$(MAKE) --no-print-directory install-missing PKGS="$(DEPS)"

# Debian 13's root needs trixie's archive key: Debian 12's
# debian-archive-keyring has it from 2023.3+deb12u2 (Debian 12.11) on, so an
# older one is upgraded. (A debootstrap without a trixie script is fine:
# the harness gives it sid's.)
TRIXIE_KEY := /usr/share/keyrings/debian-archive-trixie-stable.gpg
e2e-deps:
	@$(MAKE) --no-print-directory install-missing PKGS="$(E2E_DEPS)"
	@if [ ! -e $(TRIXIE_KEY) ]; then \
		echo "upgrading debian-archive-keyring: it lacks trixie's key"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --only-upgrade debian-archive-keyring >/dev/null; \
		[ -e $(TRIXIE_KEY) ] || { echo "debian-archive-keyring still lacks $(TRIXIE_KEY): Debian 13's root cannot be verified" >&2; exit 1; }; \
	fi

.PHONY: install-missing
install-missing:
	@missing=$$(for p in $(PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# test runs every test: unit, golden and integration tests, then make e2e.
test: deps lint
	$(GO) test -count=1 -timeout 45m ./...
	@$(MAKE) --no-print-directory e2e

# e2e installs the packages into real Debian 11, 12 and 13 roots (and the 12
# one dressed up as EL9) and talks to their Apache; it needs root. Each root
# is built once per machine by debootstrap into /var/cache/wsgipack-e2e (3 to
# 4 minutes each here, two at a time on a fresh machine) and overlaid per
# test; EL8's, EL9's and EL10's rpm are built once per machine from
# testdata/rpm-sources into /var/cache/wsgipack-rpm (about 15 minutes).
e2e: e2e-deps
	$(GO) test -tags e2e -count=1 -v -timeout 60m ./internal/e2e

lint:
	@out=$$(gofmt -l cmd internal); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./internal/e2e

# fuzz runs each fuzz test for FUZZTIME. FuzzRead's inputs are whole packages:
# minimizing one for the default 60 s would stall the run, hence 2 s.
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./internal/spec -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test ./internal/spec -run '^$$' -fuzz FuzzRoundTrip -fuzztime $(FUZZTIME)
	$(GO) test ./internal/version -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test ./internal/venv -run '^$$' -fuzz FuzzUpdateRecord -fuzztime $(FUZZTIME)
	$(GO) test ./internal/venv -run '^$$' -fuzz FuzzPlainShebang -fuzztime $(FUZZTIME)
	$(GO) test ./internal/rpm -run '^$$' -fuzz FuzzParseRelation -fuzztime $(FUZZTIME)
	$(GO) test ./internal/inspect -run '^$$' -fuzz FuzzRead -fuzztime $(FUZZTIME) -fuzzminimizetime 2s

# demo does what a newcomer would: create the example's venv as CI would,
# then build it for every target in its spec.
demo: deps build
	rm -rf testdata/example/venv
	sh testdata/mkvenv.sh testdata/example/venv
	$(BIN) build -f testdata/example/wsgipack.yaml --out dist
	@ls -l dist

bench: deps build
	bash testdata/bench/run.sh $(BIN)

clean:
	rm -rf bin dist testdata/example/venv testdata/.wheelhouse
