#!/usr/bin/env -S node --max-semi-space-size=1
// CLI entry installed as `onair`: runs the built server (build with `npm run build` first).
// --max-semi-space-size=1 (MiB): a small young generation keeps RSS per listener near Icecast's
// (bench/fanout: 3.6–4.9 KiB instead of 9–15 KiB) and costs no CPU there.
import '../build/node/src/server/main.js';
