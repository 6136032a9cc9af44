"""Bad state dirs and bad store contents: an error line naming the file and the cause, nothing changed."""

import os
import sqlite3

import pytest

from bmc.ipmi.msg import from_hex
from bmc.sdr import Sdr
from bmc.sel import Sel
from bmc.store import Store, StoreError
from buses import Simulation
from scenarios.cli import main
from tests.test_conformance_storage import EVENT

EV = from_hex(EVENT)
SERVE = ["serve", "--vm", "127.0.0.1:0", "--duration", "0.1", "--state-dir"]
RUN = ["run", "--state-dir"]


def error_line(capsys, argv, *needles):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"ipmilab {argv[0]}: error:" in err, err
    flat = " ".join(err.split())
    for n in needles:
        assert str(n) in flat, (n, err)
    return flat


def run_argv(d):
    return RUN + [str(d), "--preset", "isa-ipmi-kcs", "--", "mc", "info"] if False else RUN + [str(d), "mc", "info"]


@pytest.mark.parametrize("argv", [SERVE, RUN], ids=["serve", "run"])
def test_a_locked_state_dir_is_an_error_line(tmp_path, capsys, argv):
    held = Store(tmp_path)
    try:
        full = argv + [str(tmp_path)] + ([] if argv is SERVE else ["mc", "info"])
        error_line(capsys, full, tmp_path, "in use")
    finally:
        held.close()


@pytest.mark.parametrize("argv", [SERVE, RUN], ids=["serve", "run"])
def test_a_corrupt_database_is_an_error_line_and_is_left_alone(tmp_path, capsys, argv):
    junk = b"this is not a database" * 100
    (tmp_path / "bmc.sqlite3").write_bytes(junk)
    full = argv + [str(tmp_path)] + ([] if argv is SERVE else ["mc", "info"])
    error_line(capsys, full, "bmc.sqlite3", "not a usable database")
    assert (tmp_path / "bmc.sqlite3").read_bytes() == junk


def test_a_truncated_database_is_an_error_line(tmp_path, capsys):
    with Store(tmp_path) as s:
        sel = Sel(None, s, lambda t: 0)
        for _ in range(50):
            sel.add(EV, 0)
    db = tmp_path / "bmc.sqlite3"
    db.write_bytes(db.read_bytes()[:5000])
    error_line(capsys, SERVE + [str(tmp_path)], "bmc.sqlite3")


@pytest.mark.parametrize("argv", [SERVE, RUN], ids=["serve", "run"])
def test_a_state_dir_that_is_a_file_is_an_error_line(tmp_path, capsys, argv):
    f = tmp_path / "afile"
    f.write_text("x")
    full = argv + [str(f)] + ([] if argv is SERVE else ["mc", "info"])
    error_line(capsys, full, f, "not a directory")
    assert f.read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_state_dir_is_an_error_line(tmp_path, capsys):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    try:
        error_line(capsys, SERVE + [str(d)], d)
    finally:
        d.chmod(0o700)


def test_a_read_only_database_is_an_error_line(tmp_path, capsys, monkeypatch):
    # As root, chmod does not stop us; a read-only open is what a read-only mount gives.
    Store(tmp_path).close()
    real = sqlite3.connect

    def read_only(path, *a, **kw):
        return real(f"file:{path}?mode=ro", *a, uri=True, **kw)

    monkeypatch.setattr(sqlite3, "connect", read_only)
    error_line(capsys, SERVE + [str(tmp_path)], tmp_path)


# -- what the store recognises as its own ------------------------------------------------------------


def test_an_empty_database_file_is_refused_and_kept(tmp_path):
    db = tmp_path / "bmc.sqlite3"
    db.write_bytes(b"")
    with pytest.raises(StoreError, match="bmc.sqlite3 is empty"):
        Store(tmp_path)
    assert db.read_bytes() == b""


def test_a_foreign_database_is_refused_and_kept(tmp_path):
    db = tmp_path / "bmc.sqlite3"
    c = sqlite3.connect(db)
    c.execute("CREATE TABLE songs (title TEXT)")
    c.commit()
    c.close()
    before = db.read_bytes()
    with pytest.raises(StoreError, match="bmc.sqlite3 is not an ipmilab store"):
        Store(tmp_path)
    assert db.read_bytes() == before


def test_an_old_unmarked_store_is_accepted_and_marked(tmp_path):
    db = tmp_path / "bmc.sqlite3"
    with Store(tmp_path) as s:
        Sel(None, s, lambda t: 0).add(EV, 0)
    c = sqlite3.connect(db)
    c.execute("PRAGMA application_id=0")
    c.commit()
    c.close()
    with Store(tmp_path) as s:
        assert len(Sel(None, s, lambda t: 0)) == 1
    c = sqlite3.connect(db)
    assert c.execute("PRAGMA application_id").fetchone()[0] != 0
    c.close()


# -- loaded values are checked ------------------------------------------------------------------------


def poke(tmp_path, sql, *args):
    c = sqlite3.connect(tmp_path / "bmc.sqlite3")
    c.execute(sql, args)
    c.commit()
    c.close()


@pytest.mark.parametrize("key, value", [("last_add", -1), ("last_erase", 1 << 32), ("next_id", 0),
                                        ("next_id", 0x10000), ("next_seq", -5), ("overflow", 7)])
def test_bad_metadata_is_refused_naming_file_field_and_value(tmp_path, key, value):
    with Store(tmp_path) as s:
        Sel(None, s, lambda t: 0).add(EV, 0)
    poke(tmp_path, "INSERT OR REPLACE INTO meta (log, key, value) VALUES ('sel', ?, ?)", key, value)
    with Store(tmp_path) as s, pytest.raises(StoreError, match=f"bmc.sqlite3: sel {key} {value}"):
        Sel(None, s, lambda t: 0)


def test_a_bad_sel_row_is_refused_naming_the_record(tmp_path):
    with Store(tmp_path) as s:
        Sel(None, s, lambda t: 0).add(EV, 0)
    poke(tmp_path, "UPDATE record SET data = ? WHERE log = 'sel'", b"\x01\x00\x02")
    with Store(tmp_path) as s, pytest.raises(StoreError, match="bmc.sqlite3: sel record 0x0001"):
        Sel(None, s, lambda t: 0)


# -- SDR records are checked against their type ------------------------------------------------------


@pytest.mark.parametrize("rtype, minimum", [(0x01, 48), (0x02, 32), (0x03, 17), (0x11, 16), (0x12, 16)])
def test_add_sdr_refuses_records_too_short_for_their_type(rtype, minimum):
    sdr = Sdr(Simulation(), Store(), lambda t: 0)
    from bmc.ipmi.cc import IpmiError
    short = bytes((0, 0, 0x51, rtype, minimum - 6)) + bytes(minimum - 6)
    with pytest.raises(IpmiError, match="0xC7|REQUEST_DATA_LENGTH_INVALID") as exc:
        sdr.add(short)
    assert exc.value.cc == 0xC7
    assert sdr.add(bytes((0, 0, 0x51, rtype, minimum - 5)) + bytes(minimum - 5)) == 1
    assert len(sdr) == 1


def test_add_sdr_through_ipmid_answers_c7_for_an_empty_full_sensor_record():
    from tests.test_stores import ask, make
    _, bmc, ipmid = make()
    assert ask(ipmid, "28 24 00 00 51 01 00") == "2C 24 C7"
    assert len(bmc.sdr) == 0


def test_a_bad_sdr_row_is_refused_naming_the_record(tmp_path):
    with Store(tmp_path) as s:
        Sdr(None, s, lambda t: 0).add(bytes((0, 0, 0x51, 0xC0, 3)) + b"oem")
    poke(tmp_path, "UPDATE record SET data = ? WHERE log = 'sdr'", bytes((1, 0, 0x51, 0x01, 0)))
    with Store(tmp_path) as s, pytest.raises(StoreError, match="bmc.sqlite3: sdr record 0x0001"):
        Sdr(None, s, lambda t: 0)


def test_a_state_dir_without_write_permission_names_it(tmp_path, capsys, monkeypatch):
    # As root the mode bits do not stop us, so deny the permission check itself.
    Store(tmp_path).close()
    monkeypatch.setattr(os, "access", lambda path, mode: str(path) != str(tmp_path))
    error_line(capsys, RUN + [str(tmp_path), "mc", "info"], tmp_path, "is not writable")


@pytest.mark.parametrize("fru_id, data", [(255, b"x"), (1, b"")])
def test_a_bad_fru_row_is_refused_naming_the_device(tmp_path, fru_id, data):
    from bmc.fru import FruDevices
    Store(tmp_path).close()
    poke(tmp_path, "INSERT INTO record (log, id, seq, data) VALUES ('fru', ?, ?, ?)", fru_id, fru_id, data)
    with Store(tmp_path) as s, pytest.raises(StoreError, match=f"bmc.sqlite3: fru {fru_id}"):
        FruDevices(s)
