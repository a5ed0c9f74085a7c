#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size
// CLI entry installed as `onair`: runs the built server (build with `npm run build` first).
// --max-semi-space-size=1 (MiB): a small young generation keeps RSS per listener near Icecast's
// (bench/fanout: 3.6–4.9 KiB instead of 9–15 KiB) and costs no CPU there. --optimize-for-size lets
// V8 grow the heap with less slack: 3.1–3.2 KiB per listener at 2,000–10,000 (1.3–1.5× Icecast)
// instead of 3.7–5.9, at the same CPU.
import '../build/node/src/server/main.js';
