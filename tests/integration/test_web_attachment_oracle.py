"""Another street's attachment and a missing one get the same answer: nothing tells that the file exists."""

from __future__ import annotations

import io
import re

from engine.bootstrap import Services
from tests.conftest import STREET, deploy
from tests.integration.webclient import make_app, signed_in

PDF = b"%PDF-1.4\n%test\n"


def test_another_streets_attachment_answers_exactly_like_a_missing_one(world: Services) -> None:
    deploy(world, "approval")
    iid = world.engine.start("approval", world.engine.actor("clerk"), street=STREET, title="协作").instance_id
    app = make_app(world)
    clerk = signed_in(app, "clerk")
    clerk.get(f"/cases/{iid}")
    assert clerk.post(f"/cases/{iid}/attachments", {"file": (io.BytesIO(PDF), "申请书.pdf")}).status_code == 302
    with world.db.transaction(write=False) as tx:
        existing = int(tx.scalar("SELECT id FROM attachments"))
    missing = existing + 99_998
    stranger = signed_in(app, "other_clerk")
    hidden = stranger.get(f"/attachments/{existing}")
    absent = stranger.get(f"/attachments/{missing}")
    assert hidden.status_code == absent.status_code == 404
    hidden_text, absent_text = hidden.get_data(as_text=True), absent.get_data(as_text=True)
    assert "附件不存在" in hidden_text and "案件" not in hidden_text
    for number in (existing, missing):  # the page names its own URL and the asked-for id: nothing else differs
        hidden_text = hidden_text.replace(f"/attachments/{number}", "/attachments/N").replace(f"#{number}", "#N")
        absent_text = absent_text.replace(f"/attachments/{number}", "/attachments/N").replace(f"#{number}", "#N")
    token = re.compile(r'name="csrf_token" value="[^"]*"')  # signed with the second it was issued in
    assert token.sub("TOKEN", hidden_text) == token.sub("TOKEN", absent_text)
    assert clerk.get(f"/attachments/{existing}").get_data() == PDF
