# Dendrite, the real Matrix homeserver the Matrix channel is tested against.
# Built from its own module (tools/dendrite pins github.com/element-hq/dendrite
# v0.15.2) so the app's go.mod never requires it; the binaries are cached in
# tools/bin and rebuilt only when tools/dendrite/go.sum changes.
# Included by the Makefile: `make dendrite`.

GO ?= go
DENDRITE_MOD := tools/dendrite
DENDRITE_BIN := tools/bin/dendrite tools/bin/create-account

.PHONY: dendrite

dendrite: $(DENDRITE_BIN) ## build the Dendrite homeserver the Matrix tests run (cached in tools/bin)

tools/bin/dendrite: $(DENDRITE_MOD)/go.sum
	@mkdir -p tools/bin
	cd $(DENDRITE_MOD) && GOWORK=off $(GO) build -o ../bin/dendrite.tmp github.com/element-hq/dendrite/cmd/dendrite
	mv tools/bin/dendrite.tmp $@

tools/bin/create-account: $(DENDRITE_MOD)/go.sum
	@mkdir -p tools/bin
	cd $(DENDRITE_MOD) && GOWORK=off $(GO) build -o ../bin/create-account.tmp github.com/element-hq/dendrite/cmd/create-account
	mv tools/bin/create-account.tmp $@
