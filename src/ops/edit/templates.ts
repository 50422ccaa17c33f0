/**
 * The small example documents `edit` starts a new file from (docs/format.md §10.6), one per
 * format, with sops' wording so users moving over recognise them.
 */
import type { FormatName } from '../../formats/index.js'

const HELLO = 'Welcome to SOPS! Edit this file as you please!'

const TEMPLATES: Record<FormatName, string> = {
  yaml: `hello: ${HELLO}
example_key: example_value
# Example comment
example_array:
    - example_value1
    - example_value2
example_number: 1234.56789
example_booleans:
    - true
    - false
`,
  json: `{
\t"hello": "${HELLO}",
\t"example_key": "example_value",
\t"example_array": [
\t\t"example_value1",
\t\t"example_value2"
\t],
\t"example_number": 1234.56789,
\t"example_booleans": [
\t\ttrue,
\t\tfalse
\t]
}
`,
  dotenv: `hello=${HELLO}
example_key=example_value
# Example comment
example_multiline=foo\\nbar\\nbaz
`,
  ini: `[Welcome!]
hello          = ${HELLO}
example_key    = example_value
; Example comment
example_array  = example_value1, example_value2
example_number = 1234.56789
`,
  toml: `hello = "${HELLO}"
example_key = "example_value"
# Example comment
example_array = ["example_value1", "example_value2"]
example_number = 1234.56789
example_booleans = [true, false]
`,
  binary: HELLO,
}

/** The starting text of a new file in `format`. */
export function newFileTemplate(format: FormatName): Uint8Array {
  return Buffer.from(TEMPLATES[format], 'utf8')
}
