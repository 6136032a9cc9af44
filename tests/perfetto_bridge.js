// Perfetto's trace processor, the wasm build the Perfetto UI runs in a web worker, under node: its RPC on
// stdin and stdout, each message a u32 (little-endian) length and TraceProcessorRpcStream bytes.
// Usage: node perfetto_bridge.js DIR   (DIR holds engine_bundle.js and trace_processor.wasm)
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const dir = process.argv[2];
const wasm = fs.readFileSync(path.join(dir, "trace_processor.wasm"));
// The bundle runs only in a browser worker: give it a worker's globals (and no `process`, which would make it
// refuse to start), in a context of its own.
const box = {
  console, URL, TextDecoder, TextEncoder, performance, setTimeout, clearTimeout,
  crypto: globalThis.crypto, WorkerGlobalScope: function WorkerGlobalScope() {},
  location: {href: "http://localhost/engine_bundle.js", protocol: "http:", host: "localhost"},
  // It loads the wasm with a synchronous XHR: answer from the file.
  XMLHttpRequest: class {
    open() {}
    send() { this.status = 200; this.response = wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.length); }
  },
};
box.self = box;
vm.createContext(box);
const port = {
  onmessage: null,
  postMessage(bytes) {
    const head = Buffer.alloc(4);
    head.writeUInt32LE(bytes.length);
    process.stdout.write(Buffer.concat([head, Buffer.from(bytes)]));
  },
};
vm.runInContext(fs.readFileSync(path.join(dir, "engine_bundle.js"), "utf8"), box);
box.onmessage({data: port});                       // the worker's first message: its port
const U8 = vm.runInContext("Uint8Array", box);     // it checks `instanceof Uint8Array` in its own realm

let pending = Buffer.alloc(0);
process.stdin.on("data", (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32LE(0)) {
    const n = pending.readUInt32LE(0);
    const frame = new U8(n);
    frame.set(pending.subarray(4, 4 + n));
    pending = pending.subarray(4 + n);
    port.onmessage({data: frame});
  }
});
