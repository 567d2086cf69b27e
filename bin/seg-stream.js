#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => finish(code),
  (err) => {
    process.stderr.write(`seg-stream: SEGSTREAM_ERR_INTERNAL: ${err?.message ?? err}\n`);
    finish(1);
  },
);

function finish(code) {
  process.exitCode = code;
  // Everything is closed by now; should anything still hold the event loop, never hang the shell.
  setTimeout(() => process.exit(code), 3000).unref();
}
