"""The console's catalogue area, on SQLite and PostgreSQL: edits are audited with their values
before and after, the auditor changes nothing, consent withdrawal hides a story everywhere at
once, uploads are checked by content, and a whole catalogue is previewed before it is applied."""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from ledger.catalogue.load import CODE_ALPHABET
from ledger.demo.load import read_demo_catalogue_text
from ledger.journal import compute_journal_checksum
from ledger.models import (
    Account as LedgerAccount,
)
from ledger.models import (
    Artist,
    Artwork,
    Beneficiary,
    BeneficiaryUpdate,
    ConsentStatus,
    Hotline,
    NftEdition,
    SplitRule,
)
from tests.console.backends import (  # noqa: F401
    _audit,
    _client,
    _db,
    _visitor,
    any_backend_accounts,
    any_backend_app,
)
from tests.console.conftest import Account, csrf_token

VENERA = "zvcp7r"  # the demo artwork whose story is public
SUMMARY = "A businesswoman and mother of three"


def variants(prefix: str, status: str = "reviewed", **texts: str) -> dict[str, str]:
    data: dict[str, str] = {}
    for lang in ("kk", "ru", "en"):
        data[f"{prefix}-{lang}"] = texts.get(lang, "")
        data[f"{prefix}-{lang}_status"] = status
    return data


def _artwork_form(token: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrf_token": token,
        **variants("title", en="Venera (restored)", ru="Венера", kk="Венера"),
        **variants("medium", en="acrylic on canvas, plexiglass"),
        **variants("description", "draft", en="A new description."),
        "artists": ["moldir-sagyndykova"],
        "year": "2022",
        "dimensions_text": "160 x 130 cm",
        "height_cm": "160",
        "width_cm": "130",
        "depth_cm": "",
    }
    data.update(overrides)
    return data


def test_an_artwork_edit_is_saved_and_audited_with_before_and_after(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = _client(app, accounts["organiser"])
    page = "/console/catalogue/artworks/venera"
    assert client.get(page).status_code == 200
    response = client.post(page, data=_artwork_form(csrf_token(client, page)))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with _db(app) as session:
        art = session.scalars(select(Artwork).where(Artwork.key == "venera")).unique().one()
        assert art.title.text_in("en") == "Venera (restored)"
        assert art.description is not None
        variant = art.description.variant("en")
        assert variant is not None and variant.status.value == "draft"
        assert art.description.text_in("kk") is None  # blank stays missing, never copied
    (entry,) = _audit(app, "artwork.update")
    assert entry.actor == "organiser" and entry.via == "console" and entry.target_id == "venera"
    before, after = json.loads(entry.before or "{}"), json.loads(entry.after or "{}")
    assert before["title.en"] == "reviewed: Venera"
    assert after["title.en"] == "reviewed: Venera (restored)"
    assert "year" not in after  # only what changed
    # The page shows the new title to the public too.
    assert "Venera (restored)" in client.get(f"/artworks/{VENERA}").get_data(as_text=True)


def test_a_required_text_left_blank_is_refused_with_the_field_named(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = _client(app, accounts["organiser"])
    page = "/console/catalogue/artworks/venera"
    data = _artwork_form(csrf_token(client, page), **variants("title"))
    response = client.post(page, data=data)
    assert response.status_code == 400
    assert "venera.title: needs at least one of kk, ru, en" in response.get_data(as_text=True)
    assert not _audit(app, "artwork.update")


def test_the_auditor_reads_every_catalogue_page_and_changes_nothing(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = _client(app, accounts["auditor"])
    for page in ("/console/catalogue/", "/console/catalogue/artworks",
                 "/console/catalogue/artworks/venera", "/console/catalogue/beneficiaries",
                 "/console/catalogue/hotlines", "/console/catalogue/split-rules",
                 "/console/catalogue/editions", "/console/people/"):
        response = client.get(page)
        assert response.status_code == 200, page
        assert "I am sure" not in response.get_data(as_text=True) or page.endswith("people/")
    token = csrf_token(client, "/console/catalogue/")
    for url, data in (
        ("/console/catalogue/artworks/venera", _artwork_form(token)),
        ("/console/catalogue/artworks/venera/consent/withdraw",
         {"csrf_token": token, "confirm": "y"}),
        ("/console/catalogue/upload", {"csrf_token": token}),
        ("/console/people/p_x/erase", {"csrf_token": token, "confirm": "y"}),
    ):
        assert client.post(url, data=data).status_code == 403, url
    assert not [row for row in _audit(app, "artwork.update")]


def _public_surfaces(client: FlaskClient) -> str:
    return "\n".join(
        client.get(url).get_data(as_text=True)
        for url in (f"/artworks/{VENERA}", f"/api/v1/artworks/{VENERA}", "/api/v1/artworks",
                    "/ledger/entries.csv", "/ledger/entries.json", "/ledger")
    )


def test_withdrawing_consent_hides_the_story_everywhere_at_once_and_is_audited(
    app: Flask, accounts: dict[str, Account]
) -> None:
    public = _visitor(app)
    assert SUMMARY in _public_surfaces(public)
    client = _client(app, accounts["organiser"])
    page = "/console/catalogue/artworks/venera"
    token = csrf_token(client, page)
    # Without the confirmation nothing happens.
    client.post(page + "/consent/withdraw", data={"csrf_token": token})
    assert SUMMARY in _public_surfaces(public)
    response = client.post(page + "/consent/withdraw", data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 302
    shown = _public_surfaces(public)
    assert SUMMARY not in shown
    assert "Published by the initiative with her consent" not in public.get(
        f"/artworks/{VENERA}").get_data(as_text=True)
    (entry,) = _audit(app, "story.consent_withdrawn")
    assert entry.actor == "organiser" and entry.target_id == "venera" and entry.at is not None
    assert "consent withdrawn" in client.get(page).get_data(as_text=True).lower()

    # Consent given again: one confirmed action too, and on the record.
    client.post(page + "/consent/restore", data={"csrf_token": token, "confirm": "y"})
    assert SUMMARY in public.get(f"/artworks/{VENERA}").get_data(as_text=True)
    assert len(_audit(app, "story.consent_given")) == 1
    with _db(app) as session:
        art = session.scalars(select(Artwork).where(Artwork.key == "venera")).unique().one()
        assert art.story is not None and art.story.consent_status == ConsentStatus.GIVEN


def test_story_flags_are_per_field_and_private_values_stay_out_of_the_audit_log(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = _client(app, accounts["organiser"])
    page = "/console/catalogue/artworks/venera"
    data = {
        "csrf_token": csrf_token(client, page),
        "subject_name": "Venera",
        **variants("public_summary", en=SUMMARY + " (edited)"),
        "is_summary_public": "y",
        **variants("content_note", en="About violence."),
        "consent_statement": "Consent on file.",
        "private_notes": "PRIVATE-NOTE-77 age 39",
    }  # the name's box is unticked: the name stops being public
    response = client.post(page + "/story", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    shown = _visitor(app).get(f"/artworks/{VENERA}").get_data(as_text=True)
    assert SUMMARY + " (edited)" in shown
    assert "Consent on file." not in shown and "PRIVATE-NOTE-77" not in shown
    (entry,) = _audit(app, "story.update")
    recorded = (entry.before or "") + (entry.after or "")
    assert "PRIVATE-NOTE-77" not in recorded and "Consent on file." not in recorded
    assert "not recorded" in recorded and "(edited)" in recorded


def _png(size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _upload_image(client: FlaskClient, body: bytes, name: str) -> Any:
    page = "/console/catalogue/artworks/venera"
    data = {"csrf_token": csrf_token(client, page), "image": (io.BytesIO(body), name),
            **variants("alt", en="A woman shielding her children.")}
    return client.post(page + "/images", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("body", [
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b"<!doctype html><html><script>alert(1)</script></html>",
    b"GIF89a" + b"\x00" * 40,
])
def test_an_svg_or_html_file_named_png_is_refused(
    app: Flask, accounts: dict[str, Account], body: bytes
) -> None:
    client = _client(app, accounts["organiser"])
    response = _upload_image(client, body, "photo.png")
    assert response.status_code == 400
    assert "not a JPEG, PNG or WebP image" in response.get_data(as_text=True)
    assert not _audit(app, "artwork.image_added")


def test_an_oversize_image_is_refused_with_a_clear_message(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = _client(app, accounts["organiser"])
    body = _png() + b"\x00" * (6 * 1024 * 1024)
    response = _upload_image(client, body, "big.png")
    assert response.status_code == 400
    assert "the limit is 5.0 MB" in response.get_data(as_text=True)


def test_an_image_is_stored_by_hash_and_served_as_an_image(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = _client(app, accounts["organiser"])
    response = _upload_image(client, _png(), "photo.svg")  # the name does not matter
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with _db(app) as session:
        art = session.scalars(select(Artwork).where(Artwork.key == "venera")).unique().one()
        (image,) = art.images
        path = image.path
    assert path.startswith("uploads/") and path.endswith(".png")
    page = _visitor(app).get(f"/artworks/{VENERA}").get_data(as_text=True)
    assert "A woman shielding her children." in page
    served = _visitor(app).get("/images/" + path.removeprefix("uploads/"))
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.data == _png()
    assert len(_audit(app, "artwork.image_added")) == 1


def test_a_catalogue_upload_is_previewed_then_applied(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = _client(app, accounts["organiser"])
    text = read_demo_catalogue_text().replace(
        'title = { en = "Venera",', 'title = { en = "Venera, uploaded",'
    )
    token = csrf_token(client, "/console/catalogue/")
    response = client.post(
        "/console/catalogue/upload",
        data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "catalogue.toml")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    assert "artwork venera.title: en changed" in page
    with _db(app) as session:  # the preview stored nothing but the file itself
        art = session.scalars(select(Artwork).where(Artwork.key == "venera")).unique().one()
        assert art.title.text_in("en") == "Venera"
    import re

    match = re.search(r'name="sha256"[^>]*value="([0-9a-f]{64})"', page)
    assert match
    response = client.post("/console/catalogue/upload/commit",
                           data={"csrf_token": token, "sha256": match.group(1)})
    assert response.status_code == 302
    with _db(app) as session:
        art = session.scalars(select(Artwork).where(Artwork.key == "venera")).unique().one()
        assert art.title.text_in("en") == "Venera, uploaded"
    (entry,) = _audit(app, "catalogue.load")
    assert entry.target_id == match.group(1) and entry.summary == "0 created, 1 updated"


def test_a_broken_catalogue_upload_names_the_field_and_changes_nothing(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = _client(app, accounts["organiser"])
    text = read_demo_catalogue_text().replace(
        'artists = ["moldir-sagyndykova"]', 'artists = ["nobody"]', 1
    )
    token = csrf_token(client, "/console/catalogue/")
    response = client.post(
        "/console/catalogue/upload",
        data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "catalogue.toml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "artworks[0] (venera).artists: unknown artist" in response.get_data(as_text=True)
    bad_toml = b"format = 1\n[initiative\nkey = 'x'\n"
    response = client.post(
        "/console/catalogue/upload",
        data={"csrf_token": token, "file": (io.BytesIO(bad_toml), "broken.toml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "line 2" in response.get_data(as_text=True)


def test_an_edition_moves_only_along_the_allowed_transitions(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = _client(app, accounts["organiser"])
    with _db(app) as session:
        edition_id = session.scalars(select(NftEdition.id).order_by(NftEdition.id)).first()
    token = csrf_token(client, "/console/catalogue/editions")
    url = f"/console/catalogue/editions/{edition_id}/status"
    client.post(url, data={"csrf_token": token, "status": "sold"})
    response = client.post(url, data={"csrf_token": token, "status": "available"},
                           follow_redirects=True)
    assert "it cannot become available" in response.get_data(as_text=True)
    (entry,) = _audit(app, "edition.status")
    assert json.loads(entry.after or "{}") == {"status": "sold"}


def test_a_hotline_not_checked_for_the_configured_days_is_flagged(
    app: Flask, accounts: dict[str, Account]
) -> None:
    with _db(app) as session:
        line = session.scalars(select(Hotline).where(Hotline.number == "150")).unique().one()
        line.last_checked = date.today() - timedelta(days=200)
        other = session.scalars(select(Hotline).where(Hotline.number == "111")).unique().one()
        other.last_checked = date.today()
        line_id = line.id
    client = _client(app, accounts["organiser"])
    page = client.get("/console/catalogue/hotlines").get_data(as_text=True)
    assert page.count("check again: older than 90 days") == 1
    assert "1 hotline was not checked" in client.get("/console/catalogue/").get_data(as_text=True)
    url = f"/console/catalogue/hotlines/{line_id}"
    data = {"csrf_token": csrf_token(client, url), "number": "150",
            **variants("name", en="Helpline for children and young people"),
            "region": "Kazakhstan", "languages": ["kk", "ru"], "hours": "24/7",
            "last_checked": date.today().isoformat(), "source": "called on the day"}
    assert client.post(url, data=data).status_code == 302
    assert "check again" not in client.get("/console/catalogue/hotlines").get_data(as_text=True)
    (entry,) = _audit(app, "hotline.update")
    assert "last_checked" in json.loads(entry.after or "{}")


def test_a_new_split_rule_version_leaves_past_versions_and_the_journal_alone(
    app: Flask, accounts: dict[str, Account]
) -> None:
    with _db(app) as session:
        checksum = compute_journal_checksum(session)
        (first,) = session.scalars(select(SplitRule)).all()
        first_shares = sorted((s.beneficiary_id, s.bps) for s in first.shares)
    client = _client(app, accounts["organiser"])
    url = "/console/catalogue/split-rules"
    token = csrf_token(client, url)
    base = {"csrf_token": token, "scope": "initiative", "target": "",
            "effective_from": "2030-01-01T00:00", "remainder": "crisis-centre-almaty",
            "shares-0-recipient": "beneficiary:crisis-centre-almaty", "shares-0-bps": "6000",
            "shares-1-recipient": "beneficiary:legal-aid-fund", "shares-1-bps": "3000"}
    response = client.post(url, data=base)
    assert response.status_code == 400
    assert "shares sum to 9000 basis points, not 10000" in response.get_data(as_text=True)
    response = client.post(url, data={**base, "shares-1-bps": "4000"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    early = {**base, "shares-1-bps": "4000", "effective_from": "2020-01-01T00:00"}
    assert "before version 2" in client.post(url, data=early).get_data(as_text=True)
    with _db(app) as session:
        rules = sorted(session.scalars(select(SplitRule)).all(), key=lambda r: r.version)
        assert [r.version for r in rules] == [1, 2]
        assert sorted((s.beneficiary_id, s.bps) for s in rules[0].shares) == first_shares
        assert compute_journal_checksum(session) == checksum
    assert len(_audit(app, "split_rule.add_version")) == 1
    assert "newest" in client.get(url).get_data(as_text=True)


def test_a_beneficiary_report_is_added_with_its_document_and_published(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = _client(app, accounts["organiser"])
    url = "/console/catalogue/beneficiaries/crisis-centre-almaty"
    token = csrf_token(client, url)
    data = {"csrf_token": token, "reported_on": "2024-03-01",
            "text_en": "Rent of the shelter for March.", "used_for_en": "rent",
            "text_ru": "Аренда убежища за март.", "used_for_ru": "аренда",
            "document": (io.BytesIO(b"%PDF-1.4\n%fake but a PDF header\n"), "report.pdf")}
    response = client.post(url + "/updates", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    html_doc = {**data, "document": (io.BytesIO(b"<html><script></script>"), "r.pdf")}
    response = client.post(url + "/updates", data=html_doc, content_type="multipart/form-data")
    assert response.status_code == 400
    with _db(app) as session:
        updates = session.scalars(select(BeneficiaryUpdate).order_by(BeneficiaryUpdate.id)).all()
        assert [(u.language, u.is_published) for u in updates] == [("ru", False), ("en", False)]
        update_id, sha256 = updates[0].id, updates[0].document_sha256
    download = client.get(f"/console/catalogue/documents/{sha256}")
    assert download.status_code == 200
    assert download.mimetype == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment")
    response = client.post(f"/console/catalogue/updates/{update_id}/publish",
                           data={"csrf_token": token, "published": "1"})
    assert response.status_code == 302
    with _db(app) as session:
        update = session.get(BeneficiaryUpdate, update_id)
        assert update is not None and update.is_published
    assert len(_audit(app, "beneficiary.update_published")) == 1


def test_a_beneficiary_edit_and_wallet_are_audited(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = _client(app, accounts["organiser"])
    url = "/console/catalogue/beneficiaries/legal-aid-fund"
    token = csrf_token(client, url)
    data = {"csrf_token": token, **variants("name", en="Legal Aid Fund", ru="Фонд"),
            "legal_identifier": "", "bank_reference": ""}  # the verified box unticked
    assert client.post(url, data=data).status_code == 302
    (entry,) = _audit(app, "beneficiary.update")
    assert json.loads(entry.after or "{}")["is_verified"] is False
    address = "0x" + "ab" * 20
    wallet = {"csrf_token": token, "chain_id": "56", "address": address}
    assert client.post(url + "/wallets", data=wallet).status_code == 302
    assert address in client.get(url).get_data(as_text=True)
    assert client.post(url + "/wallets", data=wallet).status_code == 400  # already known


# --- adding artists, artworks and beneficiaries -----------------------------------------


def _new_artwork_form(token: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrf_token": token, "key": "",
        **variants("title", en="Test Window", ru="Тестовое окно"),
        **variants("medium", "draft", en="oil on canvas"),
        **variants("description"),
        "artists": ["moldir-sagyndykova"],
        "year": "2024", "dimensions_text": "40 x 30 cm", "height_cm": "40", "width_cm": "30",
        "depth_cm": "",
    }
    data.update(overrides)
    return data


def test_an_organiser_adds_an_artist_and_an_artwork_that_the_public_sees_at_once(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = _client(app, accounts["organiser"])
    token = csrf_token(client, "/console/catalogue/new-artist")
    response = client.post("/console/catalogue/new-artist", data={
        "csrf_token": token, "key": "", **variants("name", en="Dina Test", ru="Дина Тест")})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert response.headers["Location"].endswith("/console/catalogue/artists/dina-test")
    (added,) = _audit(app, "artist.add")
    assert json.loads(added.after or "{}")["name.ru"] == "reviewed: Дина Тест"
    assert (added.actor, added.via, added.target_id) == ("organiser", "console", "dina-test")

    page = "/console/catalogue/new-artwork"
    assert "dina-test" in client.get(page).get_data(as_text=True)  # among the artists to pick
    response = client.post(page, data=_new_artwork_form(
        csrf_token(client, page), artists=["dina-test", "moldir-sagyndykova"]))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert response.headers["Location"].endswith("/console/catalogue/artworks/test-window")
    with _db(app) as session:
        art = session.scalars(select(Artwork).where(Artwork.key == "test-window")).unique().one()
        code = art.public_code
        assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)
        assert [a.key for a in art.artists] == ["dina-test", "moldir-sagyndykova"]
        assert art.title.text_in("ru") == "Тестовое окно"
        en = art.title.variant("en")
        kk = art.title.variant("kk")
        assert en is not None and en.status.value == "reviewed"
        assert kk is not None and kk.status.value == "missing"  # never copied
        assert art.medium is not None and art.description is None
        assert art.year == 2024 and art.dimensions_text == "40 x 30 cm"
        others = session.scalars(select(Artwork).where(Artwork.id != art.id)).unique().all()
        assert art.position > max(o.position for o in others)  # last in the catalogue
        assert code not in {o.public_code for o in others}
    (entry,) = _audit(app, "artwork.add")
    after = json.loads(entry.after or "{}")
    assert after["public_code"] == code and after["artists"] == "dina-test, moldir-sagyndykova"
    assert after["title.en"] == "reviewed: Test Window"
    visitor = _visitor(app)
    assert "Test Window" in visitor.get("/").get_data(as_text=True)
    public = visitor.get(f"/artworks/{code}")
    assert public.status_code == 200 and "Test Window" in public.get_data(as_text=True)
    assert "Test Window" in client.get("/console/catalogue/artworks").get_data(as_text=True)


def test_a_key_is_made_from_a_cyrillic_title_and_never_reused(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = _client(app, accounts["organiser"])
    page = "/console/catalogue/new-artwork"
    token = csrf_token(client, page)
    for _ in range(2):
        response = client.post(page, data=_new_artwork_form(
            token, **variants("title", kk="Тыныштық", ru="Тишина")))
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with _db(app) as session:
        keys = set(session.scalars(select(Artwork.key).where(Artwork.key.like("tishina%"))))
        codes = list(session.scalars(select(Artwork.public_code)))
    assert keys == {"tishina", "tishina-2"}
    assert len(set(codes)) == len(codes)  # every public code its own


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"key": "venera"}, "key", "artwork.key: &#39;venera&#39; is already taken"),
    ({"key": "Bad Key!"}, "key", "Lower-case letters a-z, digits and '-'"),
    (variants("title"), "title", "artwork.title: needs at least one of kk, ru, en"),
    ({"artists": []}, "artists", "This field is required."),
    ({"artists": ["nobody"]}, "artists", "&#39;nobody&#39; is not a valid choice"),
    ({"year": "99"}, "year", "Number must be between 1000 and 9999."),
    ({"height_cm": "-3"}, "height_cm", "Number must be between 0.01 and 999999."),
])
def test_a_new_artwork_with_bad_input_is_refused_with_the_field_named(
    app: Flask, accounts: dict[str, Account], overrides: dict[str, Any], field: str,
    message: str,
) -> None:
    client = _client(app, accounts["organiser"])
    page = "/console/catalogue/new-artwork"
    with _db(app) as session:
        before = len(session.scalars(select(Artwork.id)).all())
    response = client.post(page, data=_new_artwork_form(csrf_token(client, page), **overrides))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    if field != "title":  # the field's own error, tied to it for screen readers
        assert f'id="{field}-error"' in html
        assert re.search(rf'aria-describedby="[^"]*\b{field}-error"', html), html
    with _db(app) as session:
        assert len(session.scalars(select(Artwork.id)).all()) == before
    assert not _audit(app, "artwork.add")


def test_a_new_artist_or_beneficiary_with_bad_input_is_refused_with_the_field_named(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = _client(app, accounts["organiser"])
    token = csrf_token(client, "/console/catalogue/new-artist")
    response = client.post("/console/catalogue/new-artist",
                           data={"csrf_token": token, "key": "", **variants("name")})
    assert response.status_code == 400
    assert "artist.name: needs at least one of kk, ru, en" in response.get_data(as_text=True)
    response = client.post("/console/catalogue/new-artist", data={
        "csrf_token": token, "key": "zoya-falkova", **variants("name", en="Zoya")})
    assert response.status_code == 400
    assert "artist.key: &#39;zoya-falkova&#39; is already taken" in response.get_data(
        as_text=True)
    response = client.post("/console/catalogue/new-beneficiary", data={
        "csrf_token": token, "key": "legal-aid-fund", **variants("name", en="Fund"),
        "legal_identifier": "", "bank_reference": ""})
    assert response.status_code == 400
    assert "beneficiary.key: &#39;legal-aid-fund&#39; is already taken" in response.get_data(
        as_text=True)
    response = client.post("/console/catalogue/new-beneficiary", data={
        "csrf_token": token, "key": "", **variants("name"), "legal_identifier": "x" * 101,
        "bank_reference": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Field cannot be longer than 100 characters." in html
    assert not _audit(app, "artist.add") and not _audit(app, "beneficiary.add")


def test_a_new_beneficiary_gets_its_payable_account_and_is_audited(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = _client(app, accounts["organiser"])
    page = "/console/catalogue/new-beneficiary"
    response = client.post(page, data={
        "csrf_token": csrf_token(client, page), "key": "",
        **variants("name", en="Safe House Shymkent", kk="Шымкент баспанасы"),
        "is_verified": "y", "legal_identifier": "BIN 123456789012", "bank_reference": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    key = "safe-house-shymkent"
    assert response.headers["Location"].endswith(f"/console/catalogue/beneficiaries/{key}")
    with _db(app) as session:
        ben = session.scalars(select(Beneficiary).where(Beneficiary.key == key)).unique().one()
        assert ben.is_verified and ben.legal_identifier == "BIN 123456789012"
        assert ben.bank_reference is None
        account = session.scalars(select(LedgerAccount).where(
            LedgerAccount.beneficiary_id == ben.id)).one()
        assert account.name.startswith("Liabilities:Payable:")
    (entry,) = _audit(app, "beneficiary.add")
    assert json.loads(entry.after or "{}")["is_verified"] is True
    listed = client.get("/console/catalogue/beneficiaries").get_data(as_text=True)
    assert key in listed
    # It can receive a share at once: the split-rule form offers it.
    assert key in client.get("/console/catalogue/split-rules").get_data(as_text=True)


def test_the_auditor_cannot_open_or_send_the_add_forms(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = _client(app, accounts["auditor"])
    token = csrf_token(client, "/console/catalogue/")
    assert "Add an artwork" not in client.get("/console/catalogue/").get_data(as_text=True)
    for url in ("/console/catalogue/new-artist", "/console/catalogue/new-artwork",
                "/console/catalogue/new-beneficiary"):
        assert client.get(url).status_code == 403, url
        assert client.post(url, data={"csrf_token": token,
                                      **variants("name", en="X")}).status_code == 403, url
    with _db(app) as session:
        assert session.scalars(select(Artist).where(Artist.key == "x")).first() is None
