# kensaku: the two commands of the README, and the checks CI runs.
#
# Offline builds: lindera's dictionaries come from ../shared/lindera-cache when
# that folder exists (no internet needed). Elsewhere lindera downloads them
# itself into cargo's target/ folder, inside the checkout.
SHARED_LINDERA_CACHE := $(abspath ../shared/lindera-cache)
ifneq ($(wildcard $(SHARED_LINDERA_CACHE)/6.2.0-fmt2),)
export LINDERA_BUILD_DICTIONARY_CACHE_DIR := $(SHARED_LINDERA_CACHE)
endif

CARGO ?= cargo

.PHONY: run test check lint bench release

## Serve the bundled demo corpus (indexed on first start) at http://127.0.0.1:7700/
run:
	$(CARGO) run --locked -- serve --synonyms demo/synonyms --pins demo/pins

## Run every test (unit, integration, corpus-wide when ../shared exists, browser),
## then list the tests that skipped for want of something (and how to run them).
test:
	@rm -f target/test-skips.log
	@$(CARGO) test --locked; status=$$?; \
	if [ -s target/test-skips.log ]; then \
	  echo; echo "skipped (they report ok; what each needs, and how to run it):"; \
	  sort -u target/test-skips.log | awk -F'\t' '{ printf "  %s: %s\n      to run it: %s\n", $$1, $$2, $$3 }'; \
	fi; exit $$status

## Formatting and lints, as CI checks them.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

check: lint test

bench:
	$(CARGO) bench --locked

release:
	$(CARGO) build --locked --release
