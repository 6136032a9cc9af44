"""Users changed by Set User Name/Access/Password live in the BMC's store: a restart keeps them.

A served BMC with a state directory is a rack BMC's whole life: `ipmitool user set password` over the
LAN must still hold after `ipmilab serve` restarts, as on a real BMC's flash (and as the LAN parameters
already do).  A stored user the BMC cannot read back is an error naming the file, never a silent default.
"""

from __future__ import annotations

import pytest

from bmc.access import ENABLED, User, UserChannelAccess, decode_user, encode_user
from bmc.bmc import USERS_LOG
from bmc.store import StoreError
from scenarios.cli_serve import build_served_bmc

NAME = b"operator3".ljust(16, b"\x00")


def ask(served, netfn: int, cmd: int, data: bytes = b"") -> bytes:
    rsp = served.ipmid.handle(bytes((netfn << 2, cmd)) + data)
    assert rsp[2] == 0, rsp.hex(" ")
    return rsp[3:]


def set_up_user_3(served) -> None:
    ask(served, 0x06, 0x45, b"\x03" + NAME)                                  # Set User Name
    ask(served, 0x06, 0x47, b"\x83\x02" + b"second".ljust(20, b"\x00"))      # 20-byte password
    ask(served, 0x06, 0x47, b"\x03\x01")                                     # enable
    ask(served, 0x06, 0x43, b"\x91\x03\x03")                                 # channel 1: messaging, Operator


def test_users_set_by_commands_survive_a_restart(tmp_path):
    served = build_served_bmc(state_dir=tmp_path)
    set_up_user_3(served)
    served.bmc.store.close()
    again = build_served_bmc(state_dir=tmp_path)
    try:
        assert ask(again, 0x06, 0x46, b"\x03") == NAME                       # Get User Name
        assert again.bmc.users.check_password(3, b"second".ljust(20, b"\x00"))
        access = ask(again, 0x06, 0x44, b"\x01\x03")                         # Get User Access, channel 1
        assert access[3] == 0x13 and access[1] >> 6 == ENABLED
        # Users nobody changed are the configuration's, as before.
        assert again.bmc.users.check_password(2, b"test".ljust(16, b"\x00"))
    finally:
        again.bmc.store.close()


def test_a_password_test_is_not_a_change(tmp_path):
    served = build_served_bmc(state_dir=tmp_path)
    try:
        ask(served, 0x06, 0x47, b"\x02\x03" + b"test".ljust(16, b"\x00"))    # test user 2's password
        assert served.bmc.store.load(USERS_LOG)[0] == []
    finally:
        served.bmc.store.close()


def test_stored_users_win_over_the_world_file(tmp_path):
    served = build_served_bmc(state_dir=tmp_path)
    ask(served, 0x06, 0x47, b"\x02\x02" + b"changed".ljust(16, b"\x00"))
    served.bmc.store.close()
    world = {"users": [{"id": 2, "name": "ipmiusr", "password": "fromfile", "privilege": "administrator"}]}
    again = build_served_bmc(world, state_dir=tmp_path)
    try:
        assert again.bmc.users.check_password(2, b"changed".ljust(16, b"\x00"))
    finally:
        again.bmc.store.close()


def test_user_records_round_trip_and_bad_ones_are_named():
    user = User(name=NAME, password=b"pw", password_size=16, status=ENABLED, session_limit=2,
                default_access=UserChannelAccess(2, True, True, False),
                access={1: UserChannelAccess(4, True, False, True)})
    back = decode_user(encode_user(user))
    assert back.name == NAME and back.password == b"pw".ljust(16, b"\x00") and back.session_limit == 2
    assert back.access[1].byte() == user.access[1].byte() and back.default_access.byte() == 0x32
    for bad, why in ((b"", "0 bytes"), (encode_user(user)[:-1], "bytes"),
                     (encode_user(user)[:36] + b"\x11" + encode_user(user)[37:], "password size 17")):
        with pytest.raises(ValueError, match=why):
            decode_user(bad)


def test_a_broken_stored_user_is_an_error_naming_the_store(tmp_path):
    served = build_served_bmc(state_dir=tmp_path)
    with served.bmc.store.transaction():
        served.bmc.store.put(USERS_LOG, 3, 3, b"\x01\x02")
    served.bmc.store.close()
    with pytest.raises(StoreError, match=r"stored user 3: 2 bytes"):
        build_served_bmc(state_dir=tmp_path)
    # The refused build let its store go: the same error again, not "in use by another BMC".
    with pytest.raises(StoreError, match=r"stored user 3: 2 bytes"):
        build_served_bmc(state_dir=tmp_path)
