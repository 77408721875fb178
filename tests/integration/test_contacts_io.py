"""Escalation contacts as inventory (issue 11): ``contacts.csv`` / the YAML ``contacts:``
imported by name with the import's rules (upsert, --dry-run, --prune, every error as
file:line:column, nothing half-imported), exported exactly, and used by escalation: an
escalation reaches a contact loaded from CSV over real SMTP and Telegram-API receivers."""

from __future__ import annotations

import asyncio
import filecmp
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from provnet.alerts.handover import Decision, Handover
from provnet.alerts.model import Incident
from provnet.alerts.notify.outbox import Outbox
from provnet.alerts.view import load_view
from provnet.cli import app
from provnet.config.notify import NotifierSettings
from provnet.config.settings import AlertSettings, ContactSettings
from provnet.inventory.store import Store, open_store
from provnet.inventory.transfer import export, import_files
from tests.support.notify_receivers import HttpReceiver, Request, SmtpReceiver

pytestmark = pytest.mark.integration

UNITS = ("generation,level,code,name,parent\r\n"
         "legacy,province,89,Tỉnh An Giang,\r\nlegacy,district,886,Huyện Tri Tôn,89\r\n"
         "legacy,district,887,Huyện Tịnh Biên,89\r\n"
         "legacy,commune,30544,Thị trấn Tri Tôn,886\r\n")
SITES = ("code,name,kind,latitude,longitude,region,commune\r\n"
         "POP-886,Trung tâm Tri Tôn,pop,10.41,104.99,886,30544\r\n"
         "POP-887,Trung tâm Tịnh Biên,pop,10.55,105.0,887,\r\n")
CONTACTS = ("\ufeffname,role,phone,email,chat_id,language,districts,sites,escalation_level,"
            "on_call\r\n"
            "Nguyễn Thị Bích,Trưởng trạm,+84 296 3874 001,bich@stttt.angiang.gov.vn,-100200,"
            "vi,886,,1,\r\n"
            "Trần Văn Minh,Kỹ sư trực,0912 345 678,minh@example.vn,,en,886; 887,POP-886,2,"
            "22:00-6:00\r\n"
            "Lê Hoàng Ánh,Phó giám đốc,,,-100300,vi,,,1,7:00-17:00\r\n")


def _write(d: Path, **files: str) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (d / f"{name}.csv").write_bytes(text.encode("utf-8"))
    return d


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path}/inv.db")
    plan = import_files(s, [_write(tmp_path / "base", units=UNITS, sites=SITES)])
    assert plan.ok, plan.issues
    yield s
    s.close()


def test_contacts_import_upsert_and_round_trip(store: Store, tmp_path: Path) -> None:
    src = _write(tmp_path / "c", contacts=CONTACTS)
    plan = import_files(store, [src])
    assert plan.ok, plan.issues
    assert plan.counts()["contacts"] == (3, 0, 0)
    assert not any(import_files(store, [src]).diff.values())  # idempotent
    for fmt in ("csv", "yaml"):
        first, second = tmp_path / f"{fmt}1", tmp_path / f"{fmt}2"
        export(store, first, fmt)
        empty = open_store(f"sqlite:///{tmp_path}/{fmt}.db")
        assert import_files(empty, [first]).ok
        export(empty, second, fmt)
        names = sorted(p.name for p in first.iterdir())
        assert names == sorted(p.name for p in second.iterdir())
        assert all(filecmp.cmp(first / n, second / n, shallow=False) for n in names)
        empty.close()
    text = (tmp_path / "csv1" / "contacts.csv").read_text(encoding="utf-8")
    # canonical forms: codes sorted and single-spaced, hours zero-padded, defaults filled
    assert ("Trần Văn Minh,Kỹ sư trực,0912 345 678,minh@example.vn,,en,886 887,POP-886,2,"
            "22:00-06:00") in text
    yaml_text = (tmp_path / "yaml1" / "inventory.yaml").read_text(encoding="utf-8")
    assert "contacts:" in yaml_text and "Lê Hoàng Ánh" in yaml_text


def test_bad_contact_rows_change_nothing_and_are_named(store: Store, tmp_path: Path) -> None:
    bad = CONTACTS + ("Phạm Quốc Huy,,,huy-at-example,,vi,999,POP-999,0,25:00-26:00\r\n"
                      "Nguyễn Thị Bích,,,b2@example.vn,,vi,,,1,\r\n"
                      "Không Liên Lạc,,,,,vi,,,1,\r\n")
    src = _write(tmp_path / "bad", contacts=bad)
    plan = import_files(store, [src])
    f = src / "contacts.csv"
    reasons = [str(i) for i in plan.issues]
    assert f"{f}:5:4: email: 'huy-at-example' is not an e-mail address" in reasons
    assert f"{f}:5:9: escalation_level: 0 is below the minimum 1" in reasons
    assert f"{f}:5:10: on_call: '25:00-26:00' is not on-call hours HH:MM-HH:MM " \
           "(00:00..24:00)" in reasons
    assert any(r.startswith(f"{f}:6:1: duplicate contacts key 'Nguyễn Thị Bích'")
               for r in reasons)
    assert f"{f}:7:4: email: a contact needs an email, chat_id or phone" in reasons
    ok_but_unknown = CONTACTS + "Phạm Quốc Huy,,,huy@example.vn,,vi,999,POP-999,1,\r\n"
    plan = import_files(store, [_write(tmp_path / "refs", contacts=ok_but_unknown)])
    reasons = [str(i) for i in plan.issues]
    g = tmp_path / "refs" / "contacts.csv"
    assert f"{g}:5:7: districts: unknown administrative unit '999'" in reasons
    assert f"{g}:5:8: sites: unknown site 'POP-999'" in reasons
    with store.session() as s:
        from provnet.inventory.model import Contact
        assert s.query(Contact).count() == 0  # nothing half-imported


def test_contacts_dry_run_and_prune_through_the_cli(store: Store, tmp_path: Path) -> None:
    state = tmp_path / "state"
    url = store.url
    src = _write(tmp_path / "c", contacts=CONTACTS)
    env = {"PROVNET_DATABASE_URL": url}
    cli = CliRunner()

    def run(_app: object, args: list[str], env: dict[str, str]) -> Any:
        return cli.invoke(app, [*args[2:], "--state-dir", str(state)], env=env)
    r = run(app, ["--state-dir", str(state), "inventory", "import", str(src), "--dry-run"],
            env=env)
    assert r.exit_code == 0, r.output
    assert "contacts: 3 to add, 0 to change, 0 to remove" in r.output
    assert "+ Trần Văn Minh" in r.output
    assert run(app, ["--state-dir", str(state), "inventory", "import", str(src)],
               env=env).exit_code == 0
    one = _write(tmp_path / "one", contacts=CONTACTS.splitlines(keepends=True)[0]
                 + CONTACTS.splitlines(keepends=True)[1].replace(",1,\r", ",3,\r"))
    r = run(app, ["--state-dir", str(state), "inventory", "import", str(one), "--prune",
                  "--dry-run"], env=env)
    assert "contacts: 0 to add, 1 to change, 2 to remove" in r.output, r.output
    assert "escalation_level: '1' -> '3'" in r.output
    r = run(app, ["--state-dir", str(state), "inventory", "import", str(one)], env=env)
    assert "contacts: 0 to add, 1 to change, 0 to remove" in r.output  # no prune: kept
    # a site still named by a contact cannot be pruned away
    only = _write(tmp_path / "sites", sites=SITES.splitlines(keepends=True)[0]
                  + SITES.splitlines(keepends=True)[2])
    r = run(app, ["--state-dir", str(state), "inventory", "import", str(only), "--prune"],
            env=env)
    assert r.exit_code == 1 and "removed by --prune site 'POP-886'" in r.output, r.output


def _telegram_ok(_req: Request) -> tuple[int, bytes]:
    return 200, b'{"ok": true, "result": {"message_id": 1}}'


def test_escalation_reaches_contacts_loaded_from_csv(store: Store, tmp_path: Path) -> None:
    core = _write(tmp_path / "core", sites="code,name,kind,latitude,longitude\n"
                  "CORE,Trung tâm tỉnh,core,10.38,105.43\n",
                  devices="name,site,role,primary_ip4\ncore1,CORE,core,10.0.0.1\n")
    assert import_files(store, [core, _write(tmp_path / "c", contacts=CONTACTS)]).ok
    smtp, http = SmtpReceiver().start(), HttpReceiver(respond=_telegram_ok).start()
    try:
        notify = NotifierSettings.model_validate({
            "email": {"enabled": True, "host": "127.0.0.1", "port": smtp.port,
                      "recipients": ["noc@stttt.angiang.gov.vn"], "timeout_s": 5},
            "telegram": {"enabled": True, "api_base": http.url, "token": "123:abc",
                         "chat_ids": ["-1001"], "timeout_s": 5}})
        # a settings contact of the same name as an inventory one: the inventory wins
        settings = AlertSettings(notify=notify, contacts=[
            ContactSettings(name="Nguyễn Thị Bích", email="old-address@example.vn"),
            ContactSettings(name="Settings Only", email="settings@example.vn",
                            districts=["887"])])
        with store.session() as s:
            inc = Incident(group_key="g", title="t", root_cause="c", root_site_code="POP-886",
                           district="886", severity="major", status="open",
                           started_at=time.time())
            s.add(inc)
            s.flush()
            inc_id = inc.id
            view = load_view(s)
        # 10:00 Vietnam time (03:00 UTC): Ánh (07-17) on call, Minh (22-06) not
        ten_am = 1_795_000_000 - (1_795_000_000 + 7 * 3600) % 86400 + 10 * 3600
        outbox = Outbox(store, notify)
        handover = Handover(store, outbox, view, settings, lambda: float(ten_am))
        sent = handover.deliver([Decision(inc_id, "escalated", 1)])
        assert [c.name for c in sent[0].contacts] == ["Lê Hoàng Ánh", "Nguyễn Thị Bích"]
        asyncio.run(outbox.deliver_due())
        rcpts = sorted(r for _f, rs, _m in smtp.messages for r in rs)
        assert rcpts == ["bich@stttt.angiang.gov.vn", "noc@stttt.angiang.gov.vn"]
        chats = sorted(b["chat_id"] for b in http.bodies())
        assert chats == ["-1001", "-100200", "-100300"]
        # escalation 2 at 23:00: Minh (level 2, 22-06, POP-886) joins, Ánh is off duty
        handover.clock = lambda: float(ten_am + 13 * 3600)
        sent = handover.deliver([Decision(inc_id, "escalated", 2)])
        assert [c.name for c in sent[0].contacts] == ["Nguyễn Thị Bích", "Trần Văn Minh"]
        asyncio.run(outbox.deliver_due())
        en = [m for _f, rs, m in smtp.messages if rs == ["minh@example.vn"]]
        assert len(en) == 1  # in his language (English)
    finally:
        smtp.stop()
        http.stop()
