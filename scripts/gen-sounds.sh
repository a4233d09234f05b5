#!/usr/bin/env bash
# Regenerates Switchboard's own prompts (config/sounds/en/*.wav: the callbacks' conversation) with
# flite's "slt" voice, as 8 kHz mono 16-bit WAV, which Asterisk plays as they are. Needs the
# Debian packages flite and sox (not needed to run or test: the WAV files are committed). A studio
# recording with the same names replaces them.
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/config/sounds/en"
mkdir -p "${out}"
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
say() {
  flite -voice slt -t "$2" -o "${tmp}/$1.wav"
  sox "${tmp}/$1.wav" -r 8000 -c 1 -b 16 -e signed-integer "${out}/$1.wav" norm -3
}
say sb-callback-offer "To have us call you back when it is your turn, without losing your place in line, press 1."
say sb-callback-number-is "We will call you back at"
say sb-callback-confirm "To confirm this number, press 1. To enter another number, press 2."
say sb-callback-enter-number "Please enter the number we should call, followed by the pound key."
say sb-callback-invalid-number "Sorry, we cannot call back that number."
say sb-callback-thanks "Thank you. We will call you back when it is your turn. Goodbye."
say sb-callback-pending "You already have a callback waiting. To keep it, press 1. To cancel it and stay on the line, press 2."
say sb-callback-cancelled "Your callback is cancelled."
echo "wrote ${out}"
