# The README's two commands. Each sets the machine up (scripts/setup.sh), configures and
# builds in Release, then runs.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all setup configure build demo test bench clean

all: build

setup:
	@scripts/setup.sh

configure: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@$(BUILD)/medgen demo --out demo-out
	@echo; echo "== Virtual patient: severe septic shock, managed by the hour-1 bundle script =="
	@$(BUILD)/medgen sim run --condition septic_shock --severity severe --seed 7 \
	  --script data/sim/scripts/septic_shock_good.json --html demo-out/sepsis-debrief.html
	@echo "debrief with vital-sign charts: demo-out/sepsis-debrief.html"
	@for s in copula ctgan tvae independent; do \
	  echo; echo "== medgen evaluate: $$s (report: demo-out/$$s-report.html) =="; \
	  $(BUILD)/medgen evaluate --real data/pbc.csv --synthetic demo-out/$$s.csv \
	    --report demo-out/$$s-report.html --json demo-out/$$s-report.json || exit 1; \
	done

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) demo-out
