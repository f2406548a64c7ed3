"""An open export is a copy outside the vault (issue 16): the attack is a `confide export` file
left in ~/Documents holding a client disposed of since, which nothing mentions. The export is
recorded per client it holds; disposal lists it on the certificate and overwrites it when asked
(while unchanged at its path); otherwise it stays, and the certificate says it was not covered."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import PASSPHRASE
from tests.support.disposal import make_practice
from vault import Vault
from vault.openexport import export_record
from vault.retention.certificate import render_text
from vault.retention.exports import OVERWRITTEN, PRESENT

EXPORT_PASSPHRASE = "harbor lantern tidal minor quartz"


def test_disposal_lists_the_open_export_and_overwrites_it_when_asked(
    vault: Vault, tmp_path: Path
) -> None:
    ids = make_practice(vault)
    out = tmp_path / "whole-record.age"
    export_record(vault, out, EXPORT_PASSPHRASE, passphrase=PASSPHRASE)
    queue = {r.client_id: r for r in vault.disposal.plan()}[ids["gone"]]
    assert [o.copy for o in queue.outside if o.kind == "open_export"] == [PRESENT]
    result = vault.disposal.dispose(
        PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"], overwrite_exports=True
    )
    assert result.verification.ok
    assert not out.exists()
    (record,) = result.certificate.records
    assert [o.copy for o in record.outside if o.kind == "open_export"] == [OVERWRITTEN]
    text = render_text(result.certificate)
    assert "open export of" in text and str(out) not in text


def test_without_asking_the_open_export_stays_and_the_certificate_says_so(
    vault: Vault, tmp_path: Path
) -> None:
    ids = make_practice(vault)
    out = tmp_path / "whole-record.age"
    export_record(vault, out, EXPORT_PASSPHRASE, passphrase=PASSPHRASE)
    result = vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    assert out.exists()
    (record,) = result.certificate.records
    assert [o.copy for o in record.outside if o.kind == "open_export"] == [PRESENT]
