"""``user list`` and ``user summary``, as lib/ipmi_user.c sends and prints them."""

from __future__ import annotations

from .cmd_channel import IPMI_UID_MAX, PRIVILEGES, eval_ccode, val2str


class UserCommands:
    def user_list(self, channel: int):
        """ipmi_print_user_list: Get User Access and Get User Name of users 1 up to the maximum the BMC says."""
        out = self.out
        uid = 1
        header = False
        rows = []
        while True:
            code, access = yield from self._get_user_access(channel, uid)
            if eval_ccode(out, code):
                return -1
            code, name = yield from self._user_name_or_empty(uid)
            if eval_ccode(out, code):
                return -1
            if not header:      # dump_user_access: its header once, tabs and all
                out.write("ID  Name\t     Callin  Link Auth\tIPMI Msg   Channel Priv Limit\n")
                header = True
            callin = "false" if access["callin_callback"] else "true "
            link = "true " if access["link_auth"] else "false"
            msg = "true " if access["ipmi_messaging"] else "false"
            priv = val2str(access["privilege_limit"], PRIVILEGES)
            out.write(f"{uid:<4}{name:<17}{callin:<8}{link:<11}{msg:<11}{priv}\n")
            rows.append([str(uid), name, callin.strip(), link.strip(), msg.strip(), priv])
            uid += 1
            if uid > access["max_user_ids"] or uid > IPMI_UID_MAX:
                break
        out.columns = ["id", "name", "callin", "link_auth", "ipmi_msg", "priv_limit"]
        out.rows = rows
        out.data = {"channel": channel, "users": [dict(zip(out.columns, r, strict=True)) for r in rows]}
        return 0

    def user_summary(self, channel: int):
        """ipmi_print_user_summary: user 1's Get User Access answer, its three counts."""
        out = self.out
        code, access = yield from self._get_user_access(channel, 1)
        if eval_ccode(out, code):
            return -1
        out.write(f"Maximum IDs\t    : {access['max_user_ids']}\n")
        out.write(f"Enabled User Count  : {access['enabled_user_ids']}\n")
        out.write(f"Fixed Name Count    : {access['fixed_user_ids']}\n")
        out.fields = [("Maximum IDs", str(access["max_user_ids"])),
                      ("Enabled User Count", str(access["enabled_user_ids"])),
                      ("Fixed Name Count", str(access["fixed_user_ids"]))]
        out.data = {k: access[k] for k in ("max_user_ids", "enabled_user_ids", "fixed_user_ids")}
        return 0
