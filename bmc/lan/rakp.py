"""RMCP+ session setup (IPMI 2.0 sections 13.17-13.23): Open Session, RAKP 1/2 and 3/4, as ``LanChannel`` runs them.

Each function takes the channel, the payload of a session-less RMCP+ packet,
the peer and the simulated time, and answers through ``ch.reply_plus``.  The
keyed codes (13.31):

    RAKP 2: HMAC_Kuid(SIDm | SIDc | Rm | Rc | GUIDc | RoleM | ULengthM | UNameM)
    RAKP 3: HMAC_Kuid(Rc | SIDm | RoleM | ULengthM | UNameM)
    RAKP 4: HMAC_SIK(Rm | SIDc | GUIDc), cut to the algorithm's size

(SIDm the remote console's session ID, SIDc the BMC's, Rm/Rc their random
numbers.)  A wrong user name (or a locked-out user) answers RAKP 2 status
0Dh, a wrong password RAKP 4 status 0Fh.  Each RAKP 2 with a keyed code
counts towards the user's lockout until a valid RAKP 3 takes it back
(``LoginLockout.attempt``): a console with a wrong password gives up after
RAKP 2 without a RAKP 3.
"""

from __future__ import annotations

import hmac

from ..privilege import Privilege
from . import cipher, rmcpplus
from .rmcpplus import PAYLOAD_OPEN_SESSION_RESPONSE, PAYLOAD_RAKP2, PAYLOAD_RAKP4


def open_session(ch, p: bytes, peer, t: int) -> None:
    req = rmcpplus.parse_open_session(p)
    if isinstance(req, int):
        tag = p[0] if p else 0
        console = int.from_bytes(p[4:8], "little") if len(p) >= 8 else 0
        ch.reply_plus(PAYLOAD_OPEN_SESSION_RESPONSE, rmcpplus.open_session_response(tag, req, 0, console))
        return
    cfg = ch.bmc.lan_config
    suite = cipher.find_suite(cfg.cipher_suites, req.auth, req.integrity, req.conf)
    status = rmcpplus.STATUS_OK
    offered = [cipher.SUITES[i] for i in cfg.cipher_suites if i in cipher.SUITES]
    if suite is None:
        if all(s.auth != req.auth for s in offered):
            status = rmcpplus.STATUS_INVALID_AUTH_ALGORITHM
        elif all(s.integrity != req.integrity for s in offered):
            status = rmcpplus.STATUS_INVALID_INTEGRITY_ALGORITHM
        elif all(s.conf != req.conf for s in offered):
            status = rmcpplus.STATUS_INVALID_CONF_ALGORITHM
        else:
            status = rmcpplus.STATUS_NO_CIPHER_SUITE_MATCH
    privilege = 0
    if status == rmcpplus.STATUS_OK:
        channel_limit = ch.bmc.channel_access.settings(ch.channel, volatile=True).privilege_limit
        limit = min(cfg.cipher_suite_privileges.get(suite.id, 0), channel_limit)
        privilege = req.privilege or limit          # 0: the highest the suite allows
        if privilege > Privilege.OEM:
            status = rmcpplus.STATUS_INVALID_ROLE
        elif privilege > limit:
            status = rmcpplus.STATUS_UNAUTHORIZED_ROLE
    s = None
    if status == rmcpplus.STATUS_OK:
        s = ch.sessions.add(0x20, peer, t)
        if s is None:
            status = rmcpplus.STATUS_NO_RESOURCES
    if s is None:
        ch.reply_plus(PAYLOAD_OPEN_SESSION_RESPONSE,
                         rmcpplus.open_session_response(req.tag, status, 0, req.console_id))
        return
    s.console_id, s.suite, s.max_privilege = req.console_id, suite, privilege
    ch.reply_plus(PAYLOAD_OPEN_SESSION_RESPONSE,
                     rmcpplus.open_session_response(req.tag, status, privilege, req.console_id, s.bmc_id, suite))

def rakp1(ch, p: bytes, peer, t: int) -> None:
    msg = rmcpplus.parse_rakp1(p)
    if isinstance(msg, int):
        tag = p[0] if p else 0
        s = ch.pending(int.from_bytes(p[4:8], "little")) if len(p) >= 8 else None
        ch.reply_plus(PAYLOAD_RAKP2, rmcpplus.rakp_header(tag, msg, s.console_id if s else 0))
        if s is not None:
            ch.sessions.remove(s)
        return
    s = ch.pending(msg.bmc_id)
    if s is None:
        ch.reply_plus(PAYLOAD_RAKP2, rmcpplus.rakp_header(msg.tag, rmcpplus.STATUS_INVALID_SESSION_ID, 0))
        return
    s.last_activity = t
    requested = msg.role & 0x0F
    status = rmcpplus.STATUS_OK
    found = None
    if msg.role & 0xE0 or not Privilege.CALLBACK <= requested <= Privilege.OEM:
        status = rmcpplus.STATUS_INVALID_ROLE
    else:
        by_privilege = None if msg.role & rmcpplus.NAME_ONLY_LOOKUP else requested
        found = ch.sessions.find_user(msg.name, t, by_privilege)
        if found is None:
            status = rmcpplus.STATUS_UNAUTHORIZED_NAME
        else:
            limit = ch.sessions.privilege_limit(found[0], s.suite.id)
            # Never above the user's, the channel's and the cipher suite's limits.
            if requested > min(limit, s.max_privilege):
                status = rmcpplus.STATUS_UNAUTHORIZED_ROLE
            user = found[1]
            if status == rmcpplus.STATUS_OK and user.session_limit \
                    and ch.sessions.user_sessions(found[0]) >= user.session_limit:
                status = rmcpplus.STATUS_NO_RESOURCES_FOR_ROLE
    if status != rmcpplus.STATUS_OK:
        ch.trace(t, "rakp1-refused", status=f"0x{status:02X}", name=msg.name)
        ch.reply_plus(PAYLOAD_RAKP2, rmcpplus.rakp_header(msg.tag, status, s.console_id))
        ch.sessions.remove(s)
        return
    uid, user = found
    s.uid, s.name, s.role, s.console_random = uid, msg.name, msg.role, msg.console_random
    s.bmc_random = ch.sessions.random_bytes(16)
    s.max_privilege = requested
    s.extra["locked-by-attempt"] = ch.sessions.lockout.attempt(uid, t)
    guid = ch.guid()
    code = cipher.auth_hmac(s.suite.auth, user.password,
                            s.console_id.to_bytes(4, "little") + s.bmc_id.to_bytes(4, "little")
                            + s.console_random + s.bmc_random + guid + bytes((s.role, len(s.name))) + s.name)
    ch.reply_plus(PAYLOAD_RAKP2, rmcpplus.rakp_header(msg.tag, rmcpplus.STATUS_OK, s.console_id)
                     + s.bmc_random + guid + code)

def rakp3(ch, p: bytes, peer, t: int) -> None:
    if len(p) < 8:
        return
    tag, status = p[0], p[1]
    s = ch.pending(int.from_bytes(p[4:8], "little"))
    if s is None or not s.bmc_random:
        ch.reply_plus(PAYLOAD_RAKP4, rmcpplus.rakp_header(tag, rmcpplus.STATUS_INVALID_SESSION_ID, 0))
        return
    if status != rmcpplus.STATUS_OK:      # the console gave up (e.g. RAKP 2's code did not match)
        ch.sessions.remove(s)
        ch.trace(t, "rakp3-abort", status=f"0x{status:02X}")
        return
    user = ch.bmc.users.get(s.uid)
    expect = cipher.auth_hmac(s.suite.auth, user.password, s.bmc_random + s.console_id.to_bytes(4, "little")
                              + bytes((s.role, len(s.name))) + s.name)
    if not hmac.compare_digest(p[8:], expect):        # counted as a bad password at RAKP 1 already
        ch.trace(t, "bad-password", user=s.uid)
        ch.reply_plus(PAYLOAD_RAKP4, rmcpplus.rakp_header(tag, rmcpplus.STATUS_INVALID_INTEGRITY_CHECK,
                                                             s.console_id))
        ch.sessions.remove(s)
        return
    kg = getattr(ch.bmc.lan_config, "bmc_key", b"") or user.password   # Kg = K_UID with no BMC key
    s.sik, s.k1, s.k2 = cipher.session_keys(s.suite.auth, kg, s.console_random, s.bmc_random, s.role, s.name)
    icv = cipher.rakp4_icv(s.suite.auth, s.sik, s.console_random + s.bmc_id.to_bytes(4, "little") + ch.guid())
    ch.start_window(s, 0)
    s.privilege = min(Privilege.USER, s.max_privilege)
    s.active = True
    s.peer = peer
    s.last_activity = t
    ch.sessions.lockout.good_login(s.uid, undo_lock=s.extra.get("locked-by-attempt", False))
    ch.sessions_changed()
    ch.reply_plus(PAYLOAD_RAKP4, rmcpplus.rakp_header(tag, rmcpplus.STATUS_OK, s.console_id) + icv)
