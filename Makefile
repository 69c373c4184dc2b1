# The README's two commands. Each sets the machine up (scripts/setup.sh), configures and
# builds in Release, then runs.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
CH2 ?= /usr/share/mricron/templates/ch2.nii.gz
# A scan the demo's denoiser never trains on (mricron-data, CC-BY: https://www.nitrc.org/projects/inia19/).
UNSEEN ?= /usr/share/mricron/templates/inia19-t1-brain.nii.gz

.PHONY: all setup configure build demo test test-slow fuzz test-sanitize bench clean

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
	@echo; echo "== Imaging: a denoiser trained on Colin27 (a human T1 MRI) cleans a scan it never saw: the INIA19 macaque T1 template, Rician noise (sigma 5% of its range) =="
	@$(BUILD)/medgen image degrade --input $(UNSEEN) --output demo-out/unseen-noisy.nii.gz --noise rician --noise-level 0.05 --seed 1
	@$(BUILD)/medgen image train --model denoise --noise rician --noise-level 0.05 --steps 300 --threads $(JOBS) \
	  --data $(CH2) --output demo-out/denoise.medgen --quiet --seed 1 >/dev/null
	@$(BUILD)/medgen image enhance --model demo-out/denoise.medgen --input demo-out/unseen-noisy.nii.gz \
	  --output demo-out/unseen-denoised.nii.gz --reference $(UNSEEN) --threads $(JOBS) --quiet --json demo-out/denoise.json \
	  | grep -E '"(input|output)_(psnr_db|ssim)"'
	@for v in noisy denoised; do $(BUILD)/medgen image preview demo-out/unseen-$$v.nii.gz demo-out/unseen-$$v.png --slice 64; done
	@$(BUILD)/medgen image preview $(UNSEEN) demo-out/unseen-clean.png --slice 64
	@echo "before/after: demo-out/unseen-noisy.png, demo-out/unseen-denoised.png (clean: demo-out/unseen-clean.png)"

# The fast suite (label "fast"): <= 10 minutes on 2 cores after the build.
test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L fast

# The slow suite (label "slow": full training runs, quality against baselines, sweeps), then
# the seeded, bounded fuzzing check (scripts/fuzz.sh; FUZZ=0 leaves it out).
FUZZ ?= 1
test-slow: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L slow
	@if [ "$(FUZZ)" != 0 ]; then scripts/fuzz.sh; fi

# libFuzzer targets (fuzz/, clang, ASan + UBSan) in build-fuzz, each for its cap of inputs from
# seed 1 (see scripts/fuzz.sh for exploring instead).
fuzz:
	@scripts/fuzz.sh

# The fast suite built with ASan + UBSan (MEDGEN_SANITIZE) in build-asan; see docs/architecture.md.
test-sanitize: setup
	@scripts/test-sanitize.sh

bench: build
	@scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) demo-out
