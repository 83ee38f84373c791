# The book's two commands: `make book` builds the site into _build/html, `make test` runs every test.
# Both set up everything they need first (a .venv from requirements.txt, MathJax, the figures' font
# and axe-core from npm, graphviz and Fashion-MNIST from apt) and reinstall nothing on a second run.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
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
slides: book
	$(call require,{ command -v chromium && command -v chromedriver; },chromium chromium-driver,Chromium and chromedriver (print the slides as PDFs),Install them: 'brew install --cask chromium chromedriver' on macOS.)
	BROWSER_PATH="$${BROWSER_PATH:-$$(command -v chromium || command -v google-chrome)}" $(BIN)/python -m nnbook slides
	@echo "The decks are in _build/slides/index.html"

# The built site on this machine only (127.0.0.1), as GitHub Pages would serve it. It needs no
# set-up: the standard library's web server, and nothing is built.
serve:
	@test -f $(SITE)/index.html || { echo "No site in $(SITE): run 'make book' first."; exit 1; }
	@echo "Serving $(SITE) on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)"
	@exec $(PYTHON) -m http.server --bind 127.0.0.1 --directory $(SITE) $(PORT)

# The PDF tests build the book through XeLaTeX too, so make test installs TeX Live first.
test: setup test-deps pdf-deps
	NNBOOK_TEST_PDF=1 BROWSER_PATH="$${BROWSER_PATH:-$$(command -v chromium)}" $(BIN)/python -m pytest

# The library alone, on synthetic data: what a contributor runs after every change.
test-unit: setup
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

setup: system-deps $(STAMP) $(NPM_STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || { echo "Missing: Python's venv module. Install it (Debian: apt-get install python3-venv)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-compile -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-compile --no-deps --no-build-isolation -e .
	@# pip compiles the packages' bytecode one file after another; on every core it takes half the
	@# time (about 18 s instead of 37 on two). A file that does not parse is left uncompiled, as
	@# pip leaves it, so compileall's exit status is not checked.
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib >/dev/null 2>&1 || true
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# $(call require,TEST,APT-PACKAGES,WHAT,HOW-ELSEWHERE): run TEST; when it fails, install the packages
# with apt-get if we can (root on Debian), else stop and say what is missing and how to get it.
define require
	@if ! $(1) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing $(3) with apt-get: $(2)"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(2) >/dev/null; } \
	      || { echo "apt-get could not install $(2) ($(3))."; exit 1; }; \
	  else \
	    echo "Missing: $(3). $(4)"; \
	    [ "$$(id -u)" = 0 ] || echo "(Run as root on Debian/Ubuntu and make installs it: apt-get install $(2).)"; \
	    exit 1; \
	  fi; \
	fi
endef

system-deps:
	$(call require,command -v dot,graphviz,graphviz's dot (draws autograd graphs),Install graphviz: 'brew install graphviz' on macOS or your system's graphviz package.)
	$(call require,command -v npm,nodejs npm,npm (fetches MathJax for offline math),Install Node.js: 'brew install node' on macOS or from your system's packages.)
	$(call require,test -n "$$NNBOOK_DATA" -o -f $(FASHION),dataset-fashion-mnist,the Fashion-MNIST data set,Put the four original .gz files in $$NNBOOK_DATA/FashionMNIST/raw/ or let the book download them (needs network).)

test-deps:
	$(call require,command -v chromedriver,chromium chromium-driver,Chromium and chromedriver (browser tests),Install them: 'brew install --cask chromium chromedriver' on macOS.)
	$(call require,command -v chromium,chromium chromium-driver,Chromium (browser tests),Install it: 'brew install --cask chromium' on macOS.)
	$(call require,command -v shellcheck,shellcheck,ShellCheck (actionlint checks the workflows' run: scripts with it),Install it: 'brew install shellcheck' on macOS.)
	$(call require,command -v pdftotext,poppler-utils,pdftotext (reads the PDF back in the test),Install poppler: 'brew install poppler' on macOS.)

# kaleido draws the plotly figures as PNGs with a headless Chrome: use the system's Chromium.
pdf: setup pdf-deps
	BROWSER_PATH="$${BROWSER_PATH:-$$(command -v chromium || command -v google-chrome || command -v chrome)}" \
	  $(BIN)/jupyter-book build . $(JB_STRICT) --builder pdflatex --path-output $(PDF_OUT)
	@echo "The PDF is in $(PDF_OUT)/_build/latex/book.pdf"

test-pdf: pdf test-deps
	NNBOOK_TEST_PDF_BUILD=$(PDF_OUT) $(BIN)/python -m pytest -m pdf

pdf-deps:
	$(call require,{ command -v xelatex && command -v latexmk && kpsewhich capt-of.sty fncychap.sty tgtermes.sty && fc-list | grep -q FreeSerif; },$(TEX_PACKAGES),TeX Live with XeLaTeX and latexmk (for the PDF),Install TeX Live: 'brew install --cask mactex-no-gui' on macOS or your system's texlive-xetex and latexmk packages.)
	$(call require,{ command -v chromium || command -v google-chrome; },chromium,Chromium (kaleido draws the figures for the PDF),Install it: 'brew install --cask chromium' on macOS.)

clean:
	rm -rf _build
