/** Express on `node:http2`: express assumes node:http's request and response objects. */
import http2 from 'node:http2';
import type { Express } from 'express';
import express from 'express';

/** Makes `app` run on node:http2 compat requests (its request/response prototypes bridged onto http2's). */
export function http2App(app: Express): Express {
  const bridge = (base: object, proto: object): object => {
    const out = Object.create(proto) as object;
    for (const name of Object.getOwnPropertyNames(base)) {
      const d = Object.getOwnPropertyDescriptor(base, name);
      if (d) Object.defineProperty(out, name, d);
    }
    return out;
  };
  const appProp = { app: { configurable: true, enumerable: true, writable: true, value: app } };
  app.request = Object.create(bridge(express.request, http2.Http2ServerRequest.prototype), appProp);
  app.response = Object.create(bridge(express.response, http2.Http2ServerResponse.prototype), appProp);
  return app;
}
