"""The ``[lan]`` table of a world file (scenarios/config_lan.py): checked values, applied values, persistence."""

from pathlib import Path

import pytest

from bmc.privilege import Privilege
from scenarios.config import ConfigError, load_config
from scenarios.world import World

DOCS = Path(__file__).resolve().parent.parent / "docs"


def problems(lan: dict) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        load_config({"lan": lan})
    return {path: f"{what} (got {value!r})" for path, value, what in info.value.problems}


def test_every_bad_value_is_named_with_its_path_and_value():
    found = problems({"ip_address": "10.0.0.300", "netmask": "255.0.255.0", "mac": "02:00:00:00:00",
                      "gateway": 7, "ip_source": "magic", "community": "x" * 19, "vlan_id": 4095,
                      "bad_password_threshold": 256, "bad_password_reset": "15 s", "bad_password_lockout": 60,
                      "auth": {"admin": ["md2"], "root": ["md5"], "user": "md5"},
                      "cipher_suite_privileges": {"4": "user", "3": "king"}, "bogus": 1})
    assert set(found) == {
        "lan.ip_address", "lan.netmask", "lan.mac", "lan.gateway", "lan.ip_source", "lan.community", "lan.vlan_id",
        "lan.bad_password_threshold", "lan.bad_password_reset", "lan.bad_password_lockout", "lan.auth.admin[0]",
        "lan.auth.root", "lan.auth.user", "lan.cipher_suite_privileges.4", "lan.cipher_suite_privileges.3",
        "lan.bogus"}
    assert "'10.0.0.300'" in found["lan.ip_address"]
    assert "contiguous" in found["lan.netmask"] and "'255.0.255.0'" in found["lan.netmask"]
    assert "10 s" in found["lan.bad_password_reset"]
    assert "'md2'" in found["lan.auth.admin[0]"]
    assert "0, 1, 2, 3, 15, 16, 17" in found["lan.cipher_suite_privileges.4"]


def test_the_lan_table_reaches_the_parameters():
    w = World.from_config(load_config(DOCS / "examples" / "lan.toml"))
    try:
        cfg = w.bmc.lan_config
        assert cfg.addressing.ip_address == bytes((10, 0, 0, 5))
        assert cfg.addressing.subnet_mask == bytes((255, 255, 255, 0))
        assert cfg.addressing.default_gateway_ip == bytes((10, 0, 0, 1))
        assert cfg.addressing.mac_address == bytes((2, 0, 0, 0, 0, 5))
        assert cfg.auth_enables[Privilege.ADMINISTRATOR] == 0x04 and cfg.auth_enables[Privilege.USER] == 0x15
        assert cfg.cipher_suite_privileges[17] == Privilege.OPERATOR and cfg.cipher_suite_privileges[3] == 4
        b = cfg.bad_password
        assert (b.threshold, b.reset_interval_s, b.lockout_interval_s) == (3, 60, 300)
        # What Get LAN Configuration Parameters reads: parameter 26 counts 10 s.
        assert w.ipmid.handle(bytes.fromhex("3002011a0000"))[3:] == bytes((0x11, 0, 3, 6, 0, 30, 0))
    finally:
        w.bmc.store.close()


def test_a_persisted_parameter_wins_over_the_file(tmp_path):
    doc = {"state_dir": str(tmp_path), "lan": {"ip_address": "10.0.0.5", "netmask": "255.255.255.0"}}
    w = World.from_config(load_config(doc))
    try:
        assert w.ipmid.handle(bytes.fromhex("300101030a000009"))[2] == 0      # Set IP address 10.0.0.9
    finally:
        w.bmc.store.close()
    w = World.from_config(load_config(doc))
    try:
        assert w.bmc.lan_config.addressing.ip_address == bytes((10, 0, 0, 9))          # the BMC's flash
        assert w.bmc.lan_config.addressing.subnet_mask == bytes((255, 255, 255, 0))    # the file's
    finally:
        w.bmc.store.close()
