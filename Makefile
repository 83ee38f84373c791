# The book's two commands: `make book` builds the site into _build/html, `make test` runs every test.
# Both set up everything they need first (a .venv from requirements.txt, MathJax, the figures' font
# and axe-core from npm, graphviz and Fashion-MNIST from apt) and reinstall nothing on a second run.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
TEST_STAMP := $(VENV)/.installed-test
JB_STRICT := -W -n --keep-going
FASHION := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
# The PDF has its own output folder, so its execution cache is separate from the site's.
PDF_OUT := _build/pdf
# What `make serve` serves, and on which port of 127.0.0.1 (make serve PORT=8080).
SITE ?= _build/html
PORT ?= 8000
TEX_PACKAGES := texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
	tex-gyre fonts-freefont-otf latexmk

# Targets named like folders (book/) must be phony, or make would call them up to date.
.PHONY: help book notebooks test test-unit format doctor clean setup system-deps test-deps pdf test-pdf pdf-deps \
	test-system-deps \
	serve slides

help:
	@echo "make book   build the site into _build/html (executes every changed page)"
	@echo "make slides the lectures' and chapters' reveal.js decks and their PDFs, from the built site, into _build/slides"
	@echo "make serve  serve the built site on http://127.0.0.1:$(PORT)/ (PORT=... for another port)"
	@echo "make test   run all tests: library, strict book build, cache, browser, PDF"
	@echo "make test-unit  only the library's tests (tests/unit): no data set, no book build"
	@echo "make pdf    build the whole book as a PDF through LaTeX into $(PDF_OUT)/_build/latex/book.pdf"
	@echo "make test-pdf  build the PDF with make pdf and run only the PDF tests on it"
	@echo "make notebooks  regenerate book/<page>.ipynb (what Colab and Binder open) from the pages,"
	@echo "                and, from the last build, the student and instructor notebooks to hand"
	@echo "                out in _build/handouts (make book writes them at its end too)"
	@echo "make doctor show the device, data and tools the book will use"
	@echo "make format format the pages' code cells to 80 characters (ruff)"
	@echo "make clean  remove _build (the execution and training caches are kept)"

book: setup notebooks
	$(BIN)/jupyter-book build . $(JB_STRICT)
	@echo "The site is in _build/html/index.html"

# The slides: reveal.js decks for each lecture and chapter, assembled from the built site (nothing is
# executed again) into _build/slides, with a PDF of each through Chromium; a copy goes into the site.
slides: book $(TEST_STAMP)
	@pkgs=""; msgs=""; $(call check,command -v chromium && command -v chromedriver,chromium chromium-driver,Chromium and chromedriver (print the slides as PDFs),Install them: 'brew install --cask chromium chromedriver' on macOS.) $(install)
	BROWSER_PATH="$${BROWSER_PATH:-$$(command -v chromium || command -v google-chrome)}" $(BIN)/python -m nnbook slides
	@echo "The decks are in _build/slides/index.html"

# The built site on this machine only (127.0.0.1), as GitHub Pages would serve it. It needs no
# set-up: the standard library's web server, and nothing is built.
serve:
	@test -f $(SITE)/index.html || { echo "No site in $(SITE): run 'make book' first."; exit 1; }
	@echo "Serving $(SITE) on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)"
	@exec $(PYTHON) -m http.server --bind 127.0.0.1 --directory $(SITE) $(PORT)

# The PDF tests build the book through XeLaTeX too, so make test installs TeX Live first, with
# everything else the tests need, in one apt-get, beside pip and npm.
test:
	@$(MAKE) --no-print-directory -j4 DEPS=test-system-deps test-system-deps $(STAMP) $(TEST_STAMP) $(NPM_STAMP)
	NNBOOK_TEST_PDF=1 BROWSER_PATH="$${BROWSER_PATH:-$$(command -v chromium)}" $(BIN)/python -m pytest

# The library alone, on synthetic data: what a contributor runs after every change.
test-unit: setup $(TEST_STAMP)
	$(BIN)/python -m pytest tests/unit

# The launch buttons open book/<page>.ipynb, generated from book/<page>.md: commit both. The notebooks
# to hand out (_build/handouts/student and instructor) are written from the last build, and not
# committed: make book runs this before building, and writes them itself at its end.
notebooks: setup
	$(BIN)/python -m nnbook notebooks

doctor: setup
	$(BIN)/python -m nnbook doctor

# The pages' code cells, formatted to the 80-character column the site shows (ruff).
format: setup
	$(BIN)/python -m nnbook format

# The set-up's three installers run side by side: apt (what the system lacks), pip (the .venv)
# and npm, which waits for apt only because apt may be what brings npm. DEPS names the apt step
# npm waits for: the book's packages, or with `make test` everything the tests need too, so that
# apt is asked once.
DEPS ?= system-deps
setup:
	@$(MAKE) --no-print-directory -j3 system-deps $(STAMP) $(NPM_STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || { echo "Missing: Python's venv module. Install it (Debian: apt-get install python3-venv)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	@# No compileall: Python compiles each module the first time it is imported.
	$(BIN)/pip install --quiet --disable-pip-version-check --no-compile -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-compile --no-deps --no-build-isolation -e .
	touch $@

# What only the tests use (pytest, the browser driver, actionlint, kaleido for the PDF's figures).
$(TEST_STAMP): requirements-test.txt | $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-compile -r requirements-test.txt
	touch $@

$(NPM_STAMP): package.json package-lock.json | $(DEPS)
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# $(call check,TEST,APT-PACKAGES,WHAT,HOW-ELSEWHERE): a shell fragment that runs TEST and, when it
# fails, notes the packages that bring what is missing and what to tell a user who cannot apt-get.
check = if ! { $(1); } >/dev/null 2>&1; then pkgs="$$pkgs $(2)"; msgs="$$msgs;Missing: $(3). $(4)"; fi;
# Install what the checks noted with one apt-get update and one apt-get install (root on Debian),
# or stop and say everything that is missing and how to get it.
define install
if [ -n "$$pkgs" ]; then \
  uniq=""; for p in $$pkgs; do case " $$uniq " in *" $$p "*) ;; *) uniq="$$uniq $$p";; esac; done; \
  pkgs="$${uniq# }"; \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
    echo "Installing with apt-get: $$pkgs"; \
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$pkgs >/dev/null; } \
      || { echo "apt-get could not install $$pkgs"; exit 1; }; \
  else \
    IFS=';' read -ra lines <<< "$$msgs"; for line in "$${lines[@]}"; do [ -n "$$line" ] && echo "$$line"; done; \
    [ "$$(id -u)" = 0 ] || echo "(Run as root on Debian/Ubuntu and make installs it: apt-get install $$pkgs)"; \
    exit 1; \
  fi; \
fi
endef

BOOK_CHECKS = \
	$(call check,command -v dot,graphviz,graphviz's dot (draws autograd graphs),Install graphviz: 'brew install graphviz' on macOS or your system's graphviz package.) \
	$(call check,command -v npm,nodejs npm,npm (fetches MathJax for offline math),Install Node.js: 'brew install node' on macOS or from your system's packages.) \
	$(call check,test -n "$$NNBOOK_DATA" -o -f $(FASHION),dataset-fashion-mnist,the Fashion-MNIST data set,Put the four original .gz files in $$NNBOOK_DATA/FashionMNIST/raw/ or let the book download them (needs network).)
TEST_CHECKS = \
	$(call check,command -v chromedriver,chromium chromium-driver,Chromium and chromedriver (browser tests),Install them: 'brew install --cask chromium chromedriver' on macOS.) \
	$(call check,command -v chromium,chromium chromium-driver,Chromium (browser tests),Install it: 'brew install --cask chromium' on macOS.) \
	$(call check,command -v shellcheck,shellcheck,ShellCheck (actionlint checks the workflows' run: scripts with it),Install it: 'brew install shellcheck' on macOS.) \
	$(call check,command -v pdftotext,poppler-utils,pdftotext (reads the PDF back in the test),Install poppler: 'brew install poppler' on macOS.)
PDF_CHECKS = \
	$(call check,command -v xelatex && command -v latexmk && kpsewhich capt-of.sty fncychap.sty tgtermes.sty && fc-list | grep -q FreeSerif,$(TEX_PACKAGES),TeX Live with XeLaTeX and latexmk (for the PDF),Install TeX Live: 'brew install --cask mactex-no-gui' on macOS or your system's texlive-xetex and latexmk packages.) \
	$(call check,command -v chromium || command -v google-chrome,chromium,Chromium (kaleido draws the figures for the PDF),Install it: 'brew install --cask chromium' on macOS.)

system-deps:
	@pkgs=""; msgs=""; $(BOOK_CHECKS) $(install)

test-deps:
	@pkgs=""; msgs=""; $(TEST_CHECKS) $(install)

pdf-deps:
	@pkgs=""; msgs=""; $(PDF_CHECKS) $(install)

# Everything `make test` needs from the system, asked of apt at once.
test-system-deps:
	@pkgs=""; msgs=""; $(BOOK_CHECKS) $(TEST_CHECKS) $(PDF_CHECKS) $(install)

# kaleido draws the plotly figures as PNGs with a headless Chrome: use the system's Chromium.
pdf: setup pdf-deps $(TEST_STAMP)
	BROWSER_PATH="$${BROWSER_PATH:-$$(command -v chromium || command -v google-chrome || command -v chrome)}" \
	  $(BIN)/jupyter-book build . $(JB_STRICT) --builder pdflatex --path-output $(PDF_OUT)
	@echo "The PDF is in $(PDF_OUT)/_build/latex/book.pdf"

test-pdf: pdf test-deps
	NNBOOK_TEST_PDF_BUILD=$(PDF_OUT) $(BIN)/python -m pytest -m pdf

clean:
	rm -rf _build
