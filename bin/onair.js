#!/usr/bin/env node
// CLI entry installed as `onair`: runs the built server (build with `npm run build` first).
import '../build/node/src/server/main.js';
