"""Accounts of the dashboard (the app store, GANSU_APP_DB; default sqlite:///data/app.sqlite).

    python -m dashboard.users add NAME --role admin|leader|analyst [--scope CODE] [--pii] --password-stdin
    python -m dashboard.users list
    python -m dashboard.users disable NAME
    python -m dashboard.users set-password NAME --password-stdin
    python -m dashboard.users login-link NAME [--base-url URL]     # a one-time login link (15 min)
    python -m dashboard.users token NAME [--label TEXT]            # a data-API token, shown once
    python -m dashboard.users tokens [NAME]                        # list tokens (never the tokens themselves)
    python -m dashboard.users revoke-token ID
    python -m dashboard.users audit [--since 2026-12-01]
    python -m dashboard.users init [--base-url URL]                # migrate; on an empty store: first run
    python -m dashboard.users migrate                              # Alembic upgrade head

Every command first brings the store to the newest schema (Alembic `upgrade head`), as the app does at start.
Passwords are read from standard input (one line), never from the command line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from dashboard.auth import accounts, store
from etl import paths


def _password(stdin) -> str:
    pw = stdin.readline().rstrip("\r\n")
    if not pw:
        raise accounts.AccountError("no password on standard input")
    return pw


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, dt.datetime):
        return store.utc(v).strftime("%Y-%m-%d %H:%M:%S") + "Z"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def main(argv=None, stdin=None, out=None) -> int:
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    base = f"http://{paths.APP_HOST}:{paths.APP_PORT}"
    ap = argparse.ArgumentParser(prog="python -m dashboard.users", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("add")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=accounts.ROLES)
    a.add_argument("--scope", default=accounts.PROVINCE, help="620000 (province), a prefecture or a county code")
    a.add_argument("--pii", action="store_true", help="may see unmasked names and ID numbers (audited)")
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    sub.add_parser("list")
    d = sub.add_parser("disable")
    d.add_argument("name")
    s = sub.add_parser("set-password")
    s.add_argument("name")
    s.add_argument("--password-stdin", action="store_true", required=True)
    lk = sub.add_parser("login-link")
    lk.add_argument("name")
    lk.add_argument("--base-url", default=base)
    tk = sub.add_parser("token")
    tk.add_argument("name")
    tk.add_argument("--label", default="cli")
    tl = sub.add_parser("tokens")
    tl.add_argument("name", nargs="?")
    rv = sub.add_parser("revoke-token")
    rv.add_argument("id", type=int)
    au = sub.add_parser("audit")
    au.add_argument("--since", type=dt.date.fromisoformat, help="YYYY-MM-DD (UTC)")
    i = sub.add_parser("init")
    i.add_argument("--base-url", default=base)
    sub.add_parser("migrate")
    args = ap.parse_args(argv)
    try:
        with store.init_lock():
            store.upgrade()
        if args.cmd == "add":
            if args.scope in ("", None):
                raise accounts.AccountError("--scope is empty")
            pw = _password(stdin) if args.password_stdin else None
            accounts.add(args.name, args.role, args.scope, pw, args.pii)
            print(f"added {args.name} ({args.role}, scope {args.scope}{', pii' if args.pii else ''})"
                  + ("" if pw else "; no password: use login-link or set-password"), file=out)
        elif args.cmd == "list":
            print("name\trole\tscope\tpii\tdisabled\tfailures\tlocked_until\tlast_login", file=out)
            for u in store.list_users():
                print("\t".join(_fmt(u[k]) for k in ("name", "role", "scope_code", "pii", "disabled", "failures",
                                                    "locked_until", "last_login_at")), file=out)
        elif args.cmd == "disable":
            accounts.disable(args.name)
            print(f"disabled {args.name} (open sessions end now)", file=out)
        elif args.cmd == "set-password":
            accounts.set_password(args.name, _password(stdin))
            print(f"password set for {args.name} (open sessions end now; lock-out cleared)", file=out)
        elif args.cmd == "login-link":
            print(accounts.login_link(args.name, args.base_url), file=out)
        elif args.cmd == "token":
            u = store.get_user(args.name)
            if u is None or u["disabled"]:
                raise accounts.AccountError(f"no active user {args.name}")
            tid, token = store.create_api_token(u["id"], args.label)
            print(f"token {tid} for {args.name} (shown once; send it as 'Authorization: Bearer …'):", file=out)
            print(token, file=out)
        elif args.cmd == "tokens":
            u = store.get_user(args.name) if args.name else None
            if args.name and u is None:
                raise accounts.AccountError(f"no user {args.name}")
            print("id\tuser\tlabel\tcreated\tlast_used\trevoked", file=out)
            for r in store.list_api_tokens(u["id"] if u else None):
                print("\t".join(_fmt(r[k]) for k in ("id", "name", "label", "created_at", "last_used_at",
                                                    "revoked_at")), file=out)
        elif args.cmd == "revoke-token":
            if not store.revoke_api_token(args.id):
                raise accounts.AccountError(f"no live token {args.id}")
            print(f"revoked token {args.id}", file=out)
        elif args.cmd == "audit":
            since = dt.datetime.combine(args.since, dt.time(), dt.UTC) if args.since else None
            print("at\tuser\tevent\tscope\ttarget\trows\tdetail", file=out)
            for r in reversed(store.audit_rows(since)):
                print("\t".join(_fmt(r[k]) for k in ("at", "username", "event", "scope_code", "target", "row_count",
                                                    "detail")), file=out)
        elif args.cmd == "init":
            from dashboard.auth.web import first_run

            if not first_run(args.base_url):
                print("the store already has users; nothing to do", file=out)
        elif args.cmd == "migrate":
            print(f"store at head: {store.url().split('@')[-1]}", file=out)
    except accounts.AccountError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
