"""The sequence diagram (scenarios/seqdiag.py): a valid SVG/PNG of the traced command, the same bytes each run."""

import xml.etree.ElementTree as ET

import pytest

from buses.time import fmt_duration
from scenarios.cli import main
from scenarios.seqdiag import rel, steps, write_sequence
from tests.trace_events import traced

PRESETS = [("isa-ipmi-kcs", None, "KCS WRITE_START"), ("ast2600", None, "KCS READ"),
           ("isa-ipmi-bt", None, "BT buffer write"), ("ast2600", "bt", "BT buffer read"),
           ("smbus-ipmi", None, "SSIF block write"), ("ast2600", "ssif", "SSIF block read")]
IDS = [f"{p}-{i or 'default'}" for p, i, _ in PRESETS]
SVG = "{http://www.w3.org/2000/svg}"


def svg_text(path) -> str:
    root = ET.parse(path).getroot()
    assert root.tag == SVG + "svg"
    return "\n".join("".join(t.itertext()) for t in root.iter(SVG + "text"))


def total(records) -> str:
    req = next(r for r in records if r.layer == "user" and r.event == "request")
    rsp = next(r for r in records if r.layer == "user" and r.event == "response")
    return fmt_duration(rsp.t - req.t)


@pytest.mark.parametrize("preset,interface,phase", PRESETS, ids=IDS)
def test_the_svg_names_the_command_its_time_and_its_phases(preset, interface, phase, tmp_path):
    records = traced(preset, interface)
    path = tmp_path / "seq.svg"
    write_sequence(records, path)
    text = svg_text(path)
    assert "Get Device ID" in text and total(records) in text
    assert phase in text
    for lifeline in ("user", "message handler", "ipmi_si", "host state machine", "bus / registers", "ipmid"):
        assert lifeline in text
    # Readable: the byte-level traffic is folded, a few dozen rows for hundreds of records.
    name, t0, t1, lanes, rows = steps(records)
    assert len(rows) <= 30 < len(records) or len(records) < 60
    assert any(kind == "band" for kind, *_ in rows)
    # Every arrow's time is a record's, relative to the request.
    times = {r.t for r in records}
    for _kind, t, *_ in rows:
        assert t in times
    assert rel(t1 - t0) in text


@pytest.mark.parametrize("preset,interface", [("ast2600", None), ("isa-ipmi-bt", None), ("smbus-ipmi", None)])
def test_the_same_seed_draws_the_same_bytes(preset, interface, tmp_path):
    for fmt in ("svg", "png"):
        a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
        write_sequence(traced(preset, interface), a)
        write_sequence(traced(preset, interface), b)
        assert a.read_bytes() == b.read_bytes(), fmt


def test_the_png_is_an_image(tmp_path):
    from matplotlib.image import imread

    path = tmp_path / "seq.png"
    write_sequence(traced("ast2600"), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] > 400 and img.shape[1] > 800


def test_the_commands_draw_it_and_a_bad_path_names_the_option(tmp_path, capsys):
    svg, png = tmp_path / "t.svg", tmp_path / "t.png"
    assert main(["trace", "--preset", "isa-ipmi-kcs", "--raw", "--svg", str(svg), "--png", str(png)]) == 0
    assert "Get Device ID" in svg_text(svg) and png.read_bytes()[:4] == b"\x89PNG"
    assert main(["races", "run", "H-9", "--svg", str(tmp_path / "r.svg")]) == 1
    assert "Get Device GUID" in svg_text(tmp_path / "r.svg")         # the message handler's first request
    capsys.readouterr()
    assert main(["trace", "--png", str(tmp_path / "no" / "dir.png")]) == 1
    err = capsys.readouterr().err
    assert "--png" in err and "No such file or directory" in err and "Traceback" not in err
    with pytest.raises(ValueError, match="--svg x.txt: cannot tell"):
        write_sequence(traced("isa-ipmi-kcs"), "x.txt", option="--svg")
    with pytest.raises(ValueError, match="no request"):
        write_sequence([r for r in traced("isa-ipmi-kcs") if r.layer in ("reg", "irq")], tmp_path / "e.svg")


def test_another_command_with_data_is_drawn_by_its_name(tmp_path):
    path = tmp_path / "sbge.svg"
    assert main(["trace", "--preset", "ast2600", "--netfn", "0x06", "--cmd", "0x2E", "--data", "0x0D", "--raw",
                 "--svg", str(path)]) == 0
    text = svg_text(path)
    assert "Set BMC Global Enables" in text and "[18 2E 0D]" in text


def test_the_picture_in_docs_is_what_the_command_draws_today(tmp_path, capsys):
    """docs/get-device-id-ast2600.svg is `ipmilab trace --preset ast2600 --svg ...`'s output, byte for byte
    (regenerate it with that command when the timing changes)."""
    from pathlib import Path

    doc = Path(__file__).resolve().parent.parent / "docs" / "get-device-id-ast2600.svg"
    assert main(["trace", "--preset", "ast2600", "--svg", str(tmp_path / "now.svg")]) == 0
    capsys.readouterr()
    assert (tmp_path / "now.svg").read_bytes() == doc.read_bytes()
