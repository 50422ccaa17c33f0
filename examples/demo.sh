#!/usr/bin/env bash
# npm run demo: a throwaway age key, encrypt every example file, show what gets committed,
# decrypt it again, and run a command with the secrets in its environment.
set -euo pipefail
cd "$(dirname "$0")/.."
cli() { node bin/sops-like.cjs "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== 1. a throwaway age key"
recipient=$(cli keygen -o "$tmp/key.txt" 2>/dev/null)
echo "recipient: $recipient"
export SOPS_AGE_KEY_FILE="$tmp/key.txt"

echo
echo "== 2. encrypt examples/secrets.yaml (this is what you commit)"
cli encrypt --age "$recipient" examples/secrets.yaml > "$tmp/secrets.enc.yaml"
cat "$tmp/secrets.enc.yaml"

echo
echo "== 3. decrypt it again"
cli decrypt "$tmp/secrets.enc.yaml"

echo
echo "== 4. one value"
cli decrypt --extract '["db"]["user"]' "$tmp/secrets.enc.yaml"; echo

echo
echo "== 5. every format round-trips"
for f in app.env config.json settings.ini settings.toml notes.txt; do
  name="${f%.*}.enc.${f##*.}"
  cli encrypt --age "$recipient" "examples/$f" > "$tmp/$name"
  if cli decrypt "$tmp/$name" | cmp -s - "examples/$f"; then echo "ok   $f"; else echo "DIFF $f"; exit 1; fi
done

if cli run --help >/dev/null 2>&1; then
  echo
  echo "== 6. run a command with the secrets in its environment (names only shown)"
  cli run -f "$tmp/secrets.enc.yaml" -- node -e 'console.log(Object.keys(process.env).filter(k => /^(db_|api_key)/.test(k)).sort().join(" "))'
fi
echo
echo "demo finished: nothing decrypted was left on disk ($tmp is removed)"
