# Couture's one way to build, test, bench and lint. `make help` lists the targets.

GO      ?= go
GOFLAGS := -buildvcs=false
export GOFLAGS

BIN       := bin/couture
TOOLS_MOD := tools/go.mod

.PHONY: help deps build run test bench lint clean package

include mk/dendrite.mk

help: ## list the targets
	@grep -hE '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-7s %s\n", $$1, $$2}'

deps: ## install the Debian packages the build and tests need (if missing)
	@scripts/deps.sh

build: deps ## build bin/couture
	$(GO) build -o $(BIN) ./cmd/couture

run: build ## open the GUI on the embedded demo business
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
		echo "make run: the GUI needs a display, and neither DISPLAY nor WAYLAND_DISPLAY is set." >&2; \
		echo "Run it from a desktop session (or under xvfb-run); the CLI works anywhere: $(BIN) --help" >&2; \
		exit 1; \
	fi
	./$(BIN) --demo

test: deps dendrite ## go vet and every test against real Dovecot and Dendrite (headless)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 25m ./...

bench: deps dendrite ## run every benchmark once
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./...

lint: deps ## gofmt, go vet and staticcheck must be clean (here and in tools/)
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt -l: these files need gofmt -w:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool -modfile=$(TOOLS_MOD) staticcheck ./...
	cd tools && $(GO) vet ./... && $(GO) tool staticcheck ./...

clean: ## remove build output
	rm -rf bin dist
	$(GO) clean -testcache

# Packaging. The fyne CLI (tools/go.mod) builds the release binary and wraps
# it with the icon and a .desktop entry made from FyneApp.toml. It reads
# FyneApp.toml from the package it builds and bumps Build in it, so it gets
# a throw-away copy in cmd/couture, its icon path made relative to there.
APP_VERSION := $(shell sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
PKG_LINUX    = dist/couture-$(APP_VERSION)-linux-$(shell $(GO) env GOARCH).tar.xz

package: deps ## build the Linux package dist/couture-VERSION-linux-ARCH.tar.xz
	@mkdir -p dist
	sed 's#^Icon = "#Icon = "../../#' FyneApp.toml > cmd/couture/FyneApp.toml
	cd dist && $(GO) tool -modfile=../$(TOOLS_MOD) fyne package -os linux --release --src ../cmd/couture; \
		status=$$?; rm -f ../cmd/couture/FyneApp.toml ../cmd/couture/couture; exit $$status
	mv dist/Couture.tar.xz $(PKG_LINUX)
	@echo "package: $(PKG_LINUX) (unpack it and run 'sudo make install', or copy usr/local/bin/couture)"
	@tar -tJf $(PKG_LINUX)
