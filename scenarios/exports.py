"""A run's trace written out for other tools: the options every command with a trace shares.

``add_export_options(parser)`` adds ``--vcd FILE`` (waveforms, GTKWave), ``--pcap FILE`` (the IPMI messages,
Wireshark), ``--timeline FILE`` (Chrome/Perfetto trace JSON) and ``--svg FILE``/``--png FILE`` (a sequence
diagram of the first request);
``write_exports(args, records)`` writes each one asked for (matplotlib is imported only when a diagram is).
"""

from __future__ import annotations

from .pcap_export import add_pcap_option, export_pcap
from .seqdiag import add_sequence_options, export_sequence
from .timeline_export import add_timeline_option, export_timeline
from .vcd_export import add_vcd_option, export_vcd


def add_export_options(parser) -> None:
    add_vcd_option(parser)
    add_pcap_option(parser)
    add_timeline_option(parser)
    add_sequence_options(parser)


def write_exports(args, records) -> None:
    """Write every export ``args`` asks for; a path that cannot be written is a ValueError naming its option."""
    records = list(records)
    if getattr(args, "vcd", None):
        export_vcd(records, args.vcd)
    if getattr(args, "pcap", None):
        export_pcap(records, args.pcap)
    if getattr(args, "timeline", None):
        export_timeline(records, args.timeline)
    if getattr(args, "svg", None) or getattr(args, "png", None):
        export_sequence(records, args)
