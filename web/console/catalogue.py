"""The catalogue area: artists, artworks (texts, stories, consent, images), editions,
beneficiaries (wallets, reports back), hotlines, split rules, and a whole-file upload.

Every view reads with the auditor role and changes with the organiser role; each change is one
``ledger.catalogue.edit`` call, committed here once, and audited there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from ledger.catalogue import edit
from ledger.catalogue.fileformat import ShareIn
from ledger.catalogue.upload import apply_catalogue, preview_catalogue
from ledger.documents import read_document
from ledger.errors import CatalogueError, LedgerError, NotFoundError
from ledger.models import (
    Artist,
    Artwork,
    Beneficiary,
    BeneficiaryUpdate,
    Collection,
    EditionStatus,
    Hotline,
    NftEdition,
    Role,
)
from ledger.models.catalogue import EDITION_TRANSITIONS
from ledger.models.text import LANGUAGES
from web.console.access import can, console_blueprint, current_actor, requires
from web.console.catalogue_forms import (
    AltForm,
    ArtistForm,
    ArtworkForm,
    BeneficiaryForm,
    CatalogueCommitForm,
    CatalogueUploadForm,
    EditionStatusForm,
    HotlineForm,
    ImageForm,
    NewArtistForm,
    NewArtworkForm,
    NewBeneficiaryForm,
    PublishForm,
    SplitRuleForm,
    StoryForm,
    UpdateForm,
    WalletForm,
    variants_data,
    variants_in,
)
from web.console.forms import ConfirmForm
from web.database import get_session, get_settings

bp = console_blueprint("console_catalogue", __name__, "/console/catalogue")

READ, WRITE = Role.AUDITOR, Role.ORGANISER

Page = BaseResponse | str | tuple[str, int]


@bp.context_processor
def _catalogue_context() -> dict[str, object]:
    return {"can_edit": can(WRITE)}


def _or_404(func: Any, *args: Any) -> Any:
    try:
        return func(get_session(), *args)
    except NotFoundError:
        abort(404)


def _problems(form: Any, exc: LedgerError) -> None:
    problems = exc.problems if isinstance(exc, CatalogueError) else [str(exc)]
    form.form_errors.extend(problems)


def _refusal(form: Any, exc: LedgerError) -> None:
    """Show a refusal: every problem in the summary at the top (each names its field), and
    on the field itself when the form has one of that name (``artwork.year: ...``)."""
    _problems(form, exc)
    problems = exc.problems if isinstance(exc, CatalogueError) else [str(exc)]
    for problem in problems:
        name = problem.split(":", 1)[0].rsplit(".", 1)[-1]
        found = getattr(form, name, None) if name.isidentifier() else None
        if found is not None and isinstance(found.errors, list | tuple) and name != "csrf_token":
            found.errors = [*found.errors, problem.split(":", 1)[1].strip()]


def _file_bytes(field: Any) -> tuple[bytes, str]:
    upload = field.data
    return upload.read(), upload.filename or "upload"


# --- overview and upload -----------------------------------------------------------------


@bp.get("/")
@requires(READ)
def index() -> str:
    db = get_session()
    today = datetime.now(get_settings().tz).date()
    days = get_settings().safety.hotline_stale_after_days
    hotlines = list(db.scalars(select(Hotline)).unique())
    counts = {
        "artists": len(list(db.scalars(select(Artist.id)))),
        "artworks": len(list(db.scalars(select(Artwork.id)))),
        "editions": len(list(db.scalars(select(NftEdition.id)))),
        "beneficiaries": len(list(db.scalars(select(Beneficiary.id)))),
        "hotlines": len(hotlines),
    }
    stale = [h for h in hotlines if edit.is_hotline_stale(h, today, days)]
    return render_template("console/catalogue/index.html", counts=counts, stale=stale,
                           stale_days=days, upload=CatalogueUploadForm())


@bp.post("/upload")
@requires(WRITE)
def upload() -> Page:
    form = CatalogueUploadForm()
    if form.validate_on_submit():
        data, filename = _file_bytes(form.file)
        db = get_session()
        try:
            preview = preview_catalogue(db, get_settings().documents_dir, data, filename)
        except LedgerError as exc:
            db.rollback()
            _problems(form, exc)
        else:
            db.commit()
            commit = CatalogueCommitForm(formdata=None, sha256=preview.sha256)
            return render_template("console/catalogue/preview.html", preview=preview,
                                   commit=commit)
    return render_template("console/catalogue/upload_failed.html", form=form), 400


@bp.post("/upload/commit")
@requires(WRITE)
def upload_commit() -> Page:
    form = CatalogueCommitForm()
    if not form.validate_on_submit():
        flash("Nothing to apply: upload the file again.", "error")
        return redirect(url_for("console_catalogue.index"))
    db = get_session()
    try:
        report = apply_catalogue(db, current_actor(), get_settings().documents_dir,
                                 form.sha256.data or "")
    except NotFoundError:
        abort(404)
    except LedgerError as exc:
        db.rollback()
        _problems(form, exc)
        return render_template("console/catalogue/upload_failed.html", form=form), 400
    db.commit()
    flash(f"Catalogue loaded: {report.summary()}.")
    return redirect(url_for("console_catalogue.index"))


# --- artists -----------------------------------------------------------------------------


@bp.get("/artists")
@requires(READ)
def artists() -> str:
    rows = list(get_session().scalars(select(Artist).order_by(Artist.key)).unique())
    return render_template("console/catalogue/artists.html", artists=rows)


@bp.route("/new-artist", methods=["GET", "POST"])
@requires(WRITE)
def new_artist() -> Page:
    form = NewArtistForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            created = edit.add_artist(db, current_actor(), variants_in(form.name), form.key.data)
        except LedgerError as exc:
            db.rollback()
            _refusal(form, exc)
        else:
            db.commit()
            flash(f"Artist {created.key} added.")
            return redirect(url_for("console_catalogue.artist", artist_key=created.key))
    status = 400 if request.method == "POST" else 200
    return render_template("console/catalogue/new_artist.html", form=form), status


@bp.route("/artists/<artist_key>", methods=["GET", "POST"])
@requires(READ, WRITE)
def artist(artist_key: str) -> Page:
    found: Artist = _or_404(edit.get_artist, artist_key)
    form = ArtistForm(data={"name": variants_data(found.name)})
    if form.validate_on_submit():
        db = get_session()
        try:
            edit.update_artist(db, current_actor(), artist_key, variants_in(form.name))
        except LedgerError as exc:
            db.rollback()
            _problems(form, exc)
        else:
            db.commit()
            flash("Artist saved.")
            return redirect(url_for("console_catalogue.artist", artist_key=artist_key))
    status = 400 if request.method == "POST" else 200
    return render_template("console/catalogue/artist.html", artist=found, form=form), status


# --- artworks ----------------------------------------------------------------------------


@bp.get("/artworks")
@requires(READ)
def artworks() -> str:
    rows = list(get_session().scalars(select(Artwork).order_by(Artwork.position, Artwork.id))
                .unique())
    return render_template("console/catalogue/artworks.html", artworks=rows)


def _artist_choices() -> list[tuple[str, str]]:
    rows = get_session().scalars(select(Artist).order_by(Artist.key)).unique()
    return [(a.key, a.key) for a in rows]


def _artwork_changes(form: ArtworkForm) -> edit.ArtworkChanges:
    return edit.ArtworkChanges(
        title=variants_in(form.title), medium=variants_in(form.medium),
        description=variants_in(form.description), artists=form.artists.data or [],
        year=form.year.data, dimensions_text=form.dimensions_text.data,
        height_cm=form.height_cm.data, width_cm=form.width_cm.data,
        depth_cm=form.depth_cm.data,
    )


@bp.route("/new-artwork", methods=["GET", "POST"])
@requires(WRITE)
def new_artwork() -> Page:
    form = NewArtworkForm()
    form.artists.choices = _artist_choices()
    if form.validate_on_submit():
        db = get_session()
        try:
            created = edit.add_artwork(db, current_actor(), _artwork_changes(form),
                                       form.key.data)
        except LedgerError as exc:
            db.rollback()
            _refusal(form, exc)
        else:
            db.commit()
            shown = created.title.show("en", ["ru", "kk"])
            flash(f"Artwork “{shown.text if shown else created.key}” added: key {created.key}, "
                  f"public code {created.public_code} (its QR label points at it).")
            return redirect(url_for("console_catalogue.artwork", artwork_key=created.key))
    status = 400 if request.method == "POST" else 200
    return render_template("console/catalogue/new_artwork.html", form=form), status


def _artwork_forms(art: Artwork) -> dict[str, Any]:
    story = art.story
    story_data: dict[str, Any] = {}
    if story is not None:
        story_data = {
            "subject_name": story.subject_name,
            "is_subject_name_public": story.is_subject_name_public,
            "public_summary": variants_data(story.public_summary),
            "is_summary_public": story.is_summary_public,
            "content_note": variants_data(story.content_note),
            "consent_statement": story.consent_statement or "",
            "is_consent_statement_public": story.is_consent_statement_public,
            "is_deceased": story.is_deceased,
            "is_deceased_public": story.is_deceased_public,
            "private_notes": story.private_notes or "",
        }
    return {
        "story_form": StoryForm(formdata=None, data=story_data),
        "image_form": ImageForm(formdata=None),
        "alt_forms": {
            image.id: AltForm(formdata=None, prefix=f"img{image.id}",
                              data={"alt": variants_data(image.alt_text)})
            for image in art.images
        },
        "confirm": ConfirmForm(formdata=None),
    }


def _artwork_data(art: Artwork) -> dict[str, Any]:
    return {
        "title": variants_data(art.title),
        "medium": variants_data(art.medium),
        "description": variants_data(art.description),
        "artists": [a.key for a in art.artists],
        "year": art.year,
        "dimensions_text": art.dimensions_text or "",
        "height_cm": art.height_cm,
        "width_cm": art.width_cm,
        "depth_cm": art.depth_cm,
    }


def _render_artwork(art: Artwork, status: int = 200, **forms: Any) -> tuple[str, int]:
    context = _artwork_forms(art)
    if "form" not in forms:
        form = ArtworkForm(formdata=None, data=_artwork_data(art))
        form.artists.choices = _artist_choices()
        forms["form"] = form
    context.update(forms)
    return render_template(
        "console/catalogue/artwork.html", artwork=art, languages=LANGUAGES,
        transitions=EDITION_TRANSITIONS, edition_form=EditionStatusForm(formdata=None),
        **context,
    ), status


@bp.route("/artworks/<artwork_key>", methods=["GET", "POST"])
@requires(READ, WRITE)
def artwork(artwork_key: str) -> Page:
    art: Artwork = _or_404(edit.get_artwork, artwork_key)
    if request.method == "GET":
        return _render_artwork(art)
    form = ArtworkForm()
    form.artists.choices = _artist_choices()
    if form.validate_on_submit():
        db = get_session()
        try:
            edit.update_artwork(db, current_actor(), artwork_key, _artwork_changes(form))
        except LedgerError as exc:
            db.rollback()
            _problems(form, exc)
        else:
            db.commit()
            flash("Artwork saved.")
            return redirect(url_for("console_catalogue.artwork", artwork_key=artwork_key))
    art = _or_404(edit.get_artwork, artwork_key)
    return _render_artwork(art, 400, form=form)


@bp.post("/artworks/<artwork_key>/story")
@requires(WRITE)
def story(artwork_key: str) -> Page:
    art: Artwork = _or_404(edit.get_artwork, artwork_key)
    form = StoryForm()
    if form.validate_on_submit():
        db = get_session()
        changes = edit.StoryChanges(
            subject_name=form.subject_name.data or "",
            public_summary=variants_in(form.public_summary),
            content_note=variants_in(form.content_note),
            is_subject_name_public=form.is_subject_name_public.data,
            is_summary_public=form.is_summary_public.data,
            private_notes=form.private_notes.data,
            consent_statement=form.consent_statement.data,
            is_consent_statement_public=form.is_consent_statement_public.data,
            is_deceased=form.is_deceased.data,
            is_deceased_public=form.is_deceased_public.data,
        )
        try:
            edit.update_story(db, current_actor(), artwork_key, changes)
        except LedgerError as exc:
            db.rollback()
            _problems(form, exc)
        else:
            db.commit()
            flash("Story saved.")
            return redirect(url_for("console_catalogue.artwork", artwork_key=artwork_key)
                            + "#story")
    art = _or_404(edit.get_artwork, artwork_key)
    return _render_artwork(art, 400, story_form=form)


@bp.post("/artworks/<artwork_key>/consent/withdraw")
@requires(WRITE)
def withdraw_consent(artwork_key: str) -> Page:
    return _consent(artwork_key, edit.withdraw_consent,
                    "Consent withdrawn: the story is no longer shown anywhere public.")


@bp.post("/artworks/<artwork_key>/consent/restore")
@requires(WRITE)
def restore_consent(artwork_key: str) -> Page:
    return _consent(artwork_key, edit.restore_consent,
                    "Consent recorded as given again: the story's public fields show again.")


def _consent(artwork_key: str, action: Any, done: str) -> Page:
    _or_404(edit.get_artwork, artwork_key)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash("Tick “I am sure” to confirm.", "error")
        return redirect(url_for("console_catalogue.artwork", artwork_key=artwork_key) + "#consent")
    db = get_session()
    try:
        action(db, current_actor(), artwork_key)
    except NotFoundError:
        abort(404)
    db.commit()
    flash(done)
    return redirect(url_for("console_catalogue.artwork", artwork_key=artwork_key) + "#consent")


@bp.post("/artworks/<artwork_key>/images")
@requires(WRITE)
def add_image(artwork_key: str) -> Page:
    art: Artwork = _or_404(edit.get_artwork, artwork_key)
    form = ImageForm()
    if form.validate_on_submit():
        data, filename = _file_bytes(form.image)
        db = get_session()
        try:
            edit.add_image(db, current_actor(), get_settings().documents_dir, artwork_key,
                           data, filename, variants_in(form.alt))
        except LedgerError as exc:
            db.rollback()
            form.image.errors = [*form.image.errors, *(
                exc.problems if isinstance(exc, CatalogueError) else [str(exc)])]
        else:
            db.commit()
            flash("Image added.")
            return redirect(url_for("console_catalogue.artwork", artwork_key=artwork_key)
                            + "#images")
    art = _or_404(edit.get_artwork, artwork_key)
    return _render_artwork(art, 400, image_form=form)


@bp.post("/artworks/<artwork_key>/images/<int:image_id>")
@requires(WRITE)
def image_alt(artwork_key: str, image_id: int) -> Page:
    art: Artwork = _or_404(edit.get_artwork, artwork_key)
    if not any(i.id == image_id for i in art.images):
        abort(404)
    form = AltForm(prefix=f"img{image_id}")
    if form.validate_on_submit():
        db = get_session()
        try:
            edit.update_image_alt(db, current_actor(), artwork_key, image_id,
                                  variants_in(form.alt))
        except LedgerError as exc:
            db.rollback()
            _problems(form, exc)
        else:
            db.commit()
            flash("Alt text saved.")
            return redirect(url_for("console_catalogue.artwork", artwork_key=artwork_key)
                            + "#images")
    art = _or_404(edit.get_artwork, artwork_key)
    forms = _artwork_forms(art)["alt_forms"]
    forms[image_id] = form
    return _render_artwork(art, 400, alt_forms=forms)


@bp.post("/artworks/<artwork_key>/images/<int:image_id>/remove")
@requires(WRITE)
def remove_image(artwork_key: str, image_id: int) -> BaseResponse:
    if ConfirmForm().validate_on_submit():
        db = get_session()
        try:
            edit.remove_image(db, current_actor(), artwork_key, image_id)
        except NotFoundError:
            abort(404)
        db.commit()
        flash("Image removed.")
    else:
        flash("Tick “I am sure” to remove the image.", "error")
    return redirect(url_for("console_catalogue.artwork", artwork_key=artwork_key) + "#images")


# --- editions ----------------------------------------------------------------------------


@bp.get("/editions")
@requires(READ)
def editions() -> str:
    rows = list(get_session().scalars(
        select(NftEdition).join(Artwork).order_by(Artwork.position, NftEdition.edition_number)
    ).unique())
    return render_template("console/catalogue/editions.html", editions=rows,
                           transitions=EDITION_TRANSITIONS,
                           edition_form=EditionStatusForm(formdata=None))


@bp.post("/editions/<int:edition_id>/status")
@requires(WRITE)
def edition_status(edition_id: int) -> BaseResponse:
    edition = get_session().get(NftEdition, edition_id)
    if edition is None:
        abort(404)
    back = request.form.get("back") == "artwork"
    target = (url_for("console_catalogue.artwork", artwork_key=edition.artwork.key) + "#editions"
              if back else url_for("console_catalogue.editions"))
    form = EditionStatusForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            edit.set_edition_status(db, current_actor(), edition_id,
                                    EditionStatus(form.status.data))
        except LedgerError as exc:
            db.rollback()
            flash(str(exc), "error")
        else:
            db.commit()
            flash("Edition status changed.")
    else:
        flash("Choose a status.", "error")
    return redirect(target)


# --- beneficiaries -----------------------------------------------------------------------


@bp.get("/beneficiaries")
@requires(READ)
def beneficiaries() -> str:
    rows = list(get_session().scalars(select(Beneficiary).order_by(Beneficiary.key)).unique())
    return render_template("console/catalogue/beneficiaries.html", beneficiaries=rows)


@bp.route("/new-beneficiary", methods=["GET", "POST"])
@requires(WRITE)
def new_beneficiary() -> Page:
    form = NewBeneficiaryForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            created = edit.add_beneficiary(
                db, current_actor(), name=variants_in(form.name), key=form.key.data,
                is_verified=form.is_verified.data, legal_identifier=form.legal_identifier.data,
                bank_reference=form.bank_reference.data)
        except LedgerError as exc:
            db.rollback()
            _refusal(form, exc)
        else:
            db.commit()
            flash(f"Beneficiary {created.key} added. Add its payout wallets below; a split "
                  "rule gives it a share.")
            return redirect(url_for("console_catalogue.beneficiary",
                                    beneficiary_key=created.key))
    status = 400 if request.method == "POST" else 200
    return render_template("console/catalogue/new_beneficiary.html", form=form), status


def _render_beneficiary(ben: Beneficiary, status: int = 200, **forms: Any) -> tuple[str, int]:
    updates = list(get_session().scalars(
        select(BeneficiaryUpdate).where(BeneficiaryUpdate.beneficiary_id == ben.id)
        .order_by(BeneficiaryUpdate.reported_on.desc(), BeneficiaryUpdate.id)
    ))
    context: dict[str, Any] = {
        "form": BeneficiaryForm(formdata=None, data={
            "name": variants_data(ben.name), "is_verified": ben.is_verified,
            "legal_identifier": ben.legal_identifier or "",
            "bank_reference": ben.bank_reference or ""}),
        "wallet_form": WalletForm(formdata=None),
        "update_form": UpdateForm(formdata=None),
        "publish_form": PublishForm(formdata=None),
    }
    context.update(forms)
    return render_template("console/catalogue/beneficiary.html", beneficiary=ben,
                           updates=updates, **context), status


@bp.route("/beneficiaries/<beneficiary_key>", methods=["GET", "POST"])
@requires(READ, WRITE)
def beneficiary(beneficiary_key: str) -> Page:
    ben: Beneficiary = _or_404(edit.get_beneficiary, beneficiary_key)
    if request.method == "GET":
        return _render_beneficiary(ben)
    form = BeneficiaryForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            edit.update_beneficiary(
                db, current_actor(), beneficiary_key, name=variants_in(form.name),
                is_verified=form.is_verified.data, legal_identifier=form.legal_identifier.data,
                bank_reference=form.bank_reference.data)
        except LedgerError as exc:
            db.rollback()
            _problems(form, exc)
        else:
            db.commit()
            flash("Beneficiary saved.")
            return redirect(url_for("console_catalogue.beneficiary",
                                    beneficiary_key=beneficiary_key))
    ben = _or_404(edit.get_beneficiary, beneficiary_key)
    return _render_beneficiary(ben, 400, form=form)


@bp.post("/beneficiaries/<beneficiary_key>/wallets")
@requires(WRITE)
def add_wallet(beneficiary_key: str) -> Page:
    _or_404(edit.get_beneficiary, beneficiary_key)
    form = WalletForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            edit.add_beneficiary_wallet(db, current_actor(), beneficiary_key,
                                        form.chain_id.data or 0, form.address.data or "")
        except LedgerError as exc:
            db.rollback()
            _problems(form, exc)
        else:
            db.commit()
            flash("Wallet added.")
            return redirect(url_for("console_catalogue.beneficiary",
                                    beneficiary_key=beneficiary_key) + "#wallets")
    ben = _or_404(edit.get_beneficiary, beneficiary_key)
    return _render_beneficiary(ben, 400, wallet_form=form)


@bp.post("/beneficiaries/<beneficiary_key>/updates")
@requires(WRITE)
def add_update(beneficiary_key: str) -> Page:
    _or_404(edit.get_beneficiary, beneficiary_key)
    form = UpdateForm()
    if form.validate_on_submit() and form.reported_on.data is not None:
        data, filename = _file_bytes(form.document)
        texts = {
            lang: edit.UpdateText(getattr(form, f"text_{lang}").data or "",
                                  getattr(form, f"used_for_{lang}").data or "")
            for lang in LANGUAGES
        }
        db = get_session()
        try:
            edit.add_beneficiary_update(
                db, current_actor(), get_settings().documents_dir, beneficiary_key,
                reported_on=form.reported_on.data, texts=texts, document=data,
                filename=filename)
        except LedgerError as exc:
            db.rollback()
            _problems(form, exc)
        else:
            db.commit()
            flash("Report added (not published yet).")
            return redirect(url_for("console_catalogue.beneficiary",
                                    beneficiary_key=beneficiary_key) + "#updates")
    ben = _or_404(edit.get_beneficiary, beneficiary_key)
    return _render_beneficiary(ben, 400, update_form=form)


@bp.post("/updates/<int:update_id>/publish")
@requires(WRITE)
def publish_update(update_id: int) -> BaseResponse:
    db = get_session()
    update = db.get(BeneficiaryUpdate, update_id)
    if update is None:
        abort(404)
    ben = db.get(Beneficiary, update.beneficiary_id)
    assert ben is not None
    form = PublishForm()
    if form.validate_on_submit():
        edit.set_update_published(db, current_actor(), update_id, form.published.data == "1")
        db.commit()
        flash("Report published." if form.published.data == "1" else "Report unpublished.")
    return redirect(url_for("console_catalogue.beneficiary", beneficiary_key=ben.key)
                    + "#updates")


@bp.get("/documents/<sha256>")
@requires(READ)
def document(sha256: str) -> BaseResponse:
    """A stored document, always as a download (never rendered by the browser)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        abort(404)
    try:
        data = read_document(get_session(), get_settings().documents_dir, sha256)
    except (NotFoundError, OSError):
        abort(404)
    except LedgerError:
        abort(409)
    response = BaseResponse(data, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{sha256[:12]}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- hotlines ----------------------------------------------------------------------------


def _hotline_in(form: HotlineForm) -> edit.HotlineIn:
    assert form.last_checked.data is not None
    return edit.HotlineIn(
        number=form.number.data or "", name=variants_in(form.name),
        region=form.region.data or "", languages=form.languages.data or [],
        last_checked=form.last_checked.data, source=form.source.data or "",
        hours=form.hours.data, is_emergency=form.is_emergency.data, since=form.since.data,
    )


@bp.route("/hotlines", methods=["GET", "POST"])
@requires(READ, WRITE)
def hotlines() -> Page:
    db = get_session()
    form = HotlineForm() if request.method == "POST" else HotlineForm(formdata=None)
    if request.method == "POST" and form.validate_on_submit():
        try:
            edit.add_hotline(db, current_actor(), _hotline_in(form))
        except LedgerError as exc:
            db.rollback()
            _problems(form, exc)
        else:
            db.commit()
            flash("Hotline added.")
            return redirect(url_for("console_catalogue.hotlines"))
    settings = get_settings()
    today = datetime.now(settings.tz).date()
    days = settings.safety.hotline_stale_after_days
    rows = list(db.scalars(select(Hotline).order_by(Hotline.position, Hotline.id)).unique())
    stale = {h.id for h in rows if edit.is_hotline_stale(h, today, days)}
    status = 400 if request.method == "POST" else 200
    return render_template("console/catalogue/hotlines.html", hotlines=rows, stale=stale,
                           stale_days=days, form=form), status


@bp.route("/hotlines/<int:hotline_id>", methods=["GET", "POST"])
@requires(READ, WRITE)
def hotline(hotline_id: int) -> Page:
    db = get_session()
    line = db.get(Hotline, hotline_id)
    if line is None:
        abort(404)
    if request.method == "POST":
        form = HotlineForm()
        if form.validate_on_submit():
            try:
                edit.update_hotline(db, current_actor(), hotline_id, _hotline_in(form))
            except LedgerError as exc:
                db.rollback()
                _problems(form, exc)
            else:
                db.commit()
                flash("Hotline saved.")
                return redirect(url_for("console_catalogue.hotline", hotline_id=hotline_id))
        line = db.get(Hotline, hotline_id)
        assert line is not None
    else:
        form = HotlineForm(formdata=None, data={
            "number": line.number, "name": variants_data(line.name), "region": line.region,
            "languages": line.languages.split(","), "hours": line.hours or "",
            "is_emergency": line.is_emergency, "since": line.since,
            "last_checked": line.last_checked, "source": line.source,
        })
    settings = get_settings()
    is_stale = edit.is_hotline_stale(line, datetime.now(settings.tz).date(),
                                     settings.safety.hotline_stale_after_days)
    status = 400 if request.method == "POST" else 200
    return render_template("console/catalogue/hotline.html", hotline=line, form=form,
                           is_stale=is_stale,
                           stale_days=settings.safety.hotline_stale_after_days), status


# --- split rules -------------------------------------------------------------------------


def _rule_form(form: SplitRuleForm) -> SplitRuleForm:
    db = get_session()
    bens = [b.key for b in db.scalars(select(Beneficiary).order_by(Beneficiary.key)).unique()]
    artists = [a.key for a in db.scalars(select(Artist).order_by(Artist.key)).unique()]
    form.remainder.choices = [(k, k) for k in bens]
    recipients = [("", "—")] + [(f"beneficiary:{k}", k) for k in bens] + [
        (f"artist:{k}", f"artist {k}") for k in artists]
    for row in form.shares:
        row.form.recipient.choices = recipients
    return form


def _names(db: Any) -> dict[str, dict[int, str]]:
    return {
        "beneficiary": {b.id: b.key for b in db.scalars(select(Beneficiary)).unique()},
        "artist": {a.id: a.key for a in db.scalars(select(Artist)).unique()},
        "collection": {c.id: c.key for c in db.scalars(select(Collection))},
    }


@bp.route("/split-rules", methods=["GET", "POST"])
@requires(READ, WRITE)
def split_rules() -> Page:
    db = get_session()
    form = _rule_form(SplitRuleForm() if request.method == "POST"
                      else SplitRuleForm(formdata=None))
    if request.method == "POST" and form.validate_on_submit() and form.effective_from.data:
        shares = []
        for row in form.shares:
            recipient, bps = row.form.recipient.data or "", row.form.bps.data
            if not recipient and not bps:
                continue
            kind, _, key = recipient.partition(":")
            if kind not in ("beneficiary", "artist") or not key or not bps:
                form.form_errors.append("Each share needs a recipient and basis points.")
                break
            try:
                shares.append(ShareIn(**{kind: key, "bps": bps}))
            except ValueError as exc:
                form.form_errors.append(f"Share {recipient}: {exc}")
                break
        if not form.form_errors:
            effective = form.effective_from.data.replace(tzinfo=get_settings().tz)
            try:
                edit.add_split_rule_version(
                    db, current_actor(), scope=form.scope.data or "",
                    target=(form.target.data or "").strip() or None,
                    effective_from=effective.astimezone(UTC), remainder=form.remainder.data or "",
                    shares=shares, note=form.note.data)
            except LedgerError as exc:
                db.rollback()
                _problems(form, exc)
            else:
                db.commit()
                flash("New split rule version added; past allocations keep their version.")
                return redirect(url_for("console_catalogue.split_rules"))
    status = 400 if request.method == "POST" else 200
    return render_template("console/catalogue/split_rules.html",
                           groups=edit.list_rule_versions(db), names=_names(db), form=form), status
