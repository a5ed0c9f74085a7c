#!/usr/bin/env node
// CLI entry installed as `onair`: runs the built server (build with `npm run build` first). The heap
// settings that keep memory per listener low are the process's own (src/server/heap.ts), so they hold
// however it is started.
import '../build/node/src/server/main.js';
