"""Canaries in every private value (ledger/privacy.py), shared by the privacy tests.

The public crawl (tests/web/test_privacy_crawl.py) and the export test
(tests/db/test_exports.py) seed the same canaries and look for them in what they produce.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import String, Text, select, update
from sqlalchemy.orm import Session

from ledger.journal import EntrySpec, PostingSpec, open_account, post_entry
from ledger.models import (
    Artwork,
    AuditLog,
    Base,
    Beneficiary,
    BeneficiaryUpdate,
    ConsentStatus,
    ConsoleUser,
    Document,
    Gift,
    Person,
    PersonContact,
    Role,
    Story,
    TextSet,
    TextVariant,
)
from ledger.models.text import VariantStatus
from ledger.privacy import CONDITIONAL_COLUMNS, PRIVATE_COLUMNS

LANGUAGES = ("kk", "ru", "en")


class Canaries:
    """Unique strings, each remembering which value it stands in for."""

    def __init__(self) -> None:
        self.where: dict[str, str] = {}
        # A control in a public field: the crawl must find it, or it proves nothing.
        self.control = "CONTROLPUBLIC7X"

    def new(self, where: str) -> str:
        # "X" ends each one, so CANARY0001X is never found inside CANARY00010X.
        canary = f"CANARY{len(self.where):04d}X"
        self.where[canary] = where
        return canary

    def found_in(self, text: str) -> list[str]:
        return [f"{c} ({where})" for c, where in self.where.items() if c in text]


def text_columns() -> set[tuple[str, str]]:
    return {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, String | Text)
    }


def _fill_text_set(
    session: Session, text_set: TextSet | None, canaries: Canaries, where: str
) -> TextSet:
    """Put a canary into every language of ``text_set`` (created when there is none)."""
    if text_set is None:
        text_set = TextSet()
        session.add(text_set)
    by_lang = {variant.lang: variant for variant in text_set.variants}
    for lang in LANGUAGES:
        variant = by_lang.get(lang)
        if variant is None:
            variant = TextVariant(lang=lang)
            text_set.variants.append(variant)
        variant.status = VariantStatus.REVIEWED
        variant.text = canaries.new(f"{where} [{lang}]")
    return text_set


def seed_canaries(session: Session) -> Canaries:
    """Write canaries into every private value of the demo catalogue; return them."""
    canaries = Canaries()
    # Someone who bought or gave: contact details exist only in person_contact.
    person = Person(ref="p_canary", contact=PersonContact())
    session.add(person)
    # A gift with its receipt code, a stored document and a beneficiary's report back: the
    # demo catalogue has none of these, so the canaries need rows to live in.
    for name in ("Assets:Cash:Exhibition", "Income:Sales:Exhibition"):
        open_account(session, name)
    entry = post_entry(
        session,
        EntrySpec(
            idempotency_key="canary-gift",
            effective_at=datetime.now(UTC),
            description="a cash sale at the exhibition",
            postings=[
                PostingSpec("Assets:Cash:Exhibition", "KZT", 100),
                PostingSpec("Income:Sales:Exhibition", "KZT", -100),
            ],
        ),
    )
    session.flush()
    session.add(Gift(entry_id=entry.id, person_id=person.id, receipt_code="placeholder"))
    document = Document(sha256="ab" * 32, filename="placeholder", size=1)
    session.add(document)
    beneficiary = session.scalars(select(Beneficiary)).first()
    assert beneficiary is not None
    unpublished_update = BeneficiaryUpdate(
        beneficiary_id=beneficiary.id,
        reported_on=datetime.now(UTC).date(),
        language="en",
        text="placeholder",
        used_for="placeholder",
        document_sha256=document.sha256,
    )
    session.add(unpublished_update)
    # A published report back: shown on the ledger page, its document downloadable.
    session.add(
        BeneficiaryUpdate(
            beneficiary_id=beneficiary.id,
            reported_on=datetime.now(UTC).date(),
            language="en",
            text="Published report: rent of the shelter for three months.",
            used_for="shelter rent",
            is_published=True,
        )
    )
    session.add(ConsoleUser(username="placeholder", role=Role.ADMIN, password_hash="x",
                            totp_secret="x", failed_logins=0, session_version=1,
                            must_change_password=False))
    session.flush()
    # The audit log is append-only: its canaries go in with the row.
    audit_values = {
        column: canaries.new(f"audit_log.{column}")
        for table, column in sorted(PRIVATE_COLUMNS) if table == "audit_log"
    }
    session.add(AuditLog(via="cli", action="canary", target_type="canary", **audit_values))
    session.flush()
    for table_name, column_name in sorted(PRIVATE_COLUMNS):
        if table_name == "audit_log":
            continue
        table = Base.metadata.tables[table_name]
        (key,) = table.primary_key.columns
        ids = list(session.scalars(select(key)))
        assert ids, f"the demo has no {table_name} row to hold a canary"
        for row_id in ids:
            canary = canaries.new(f"{table_name}.{column_name} id={row_id}")
            session.execute(update(table).where(key == row_id).values({column_name: canary}))

    session.execute(update(Artwork).values(dimensions_text=canaries.control))

    stories = list(session.scalars(select(Story).join(Artwork).order_by(Artwork.key)))
    assert len(stories) >= 3
    flags_off, withdrawn, summary_hidden = stories[:3]
    # A shown story whose other public flags are off: those fields stay hidden.
    story_conditions = {k: v for k, v in CONDITIONAL_COLUMNS.items() if k[0] == "story"}
    for (table_name, column_name), flag in CONDITIONAL_COLUMNS.items():
        assert table_name in ("story", "beneficiary_update"), table_name
        if table_name == "beneficiary_update":
            # The unpublished report back holds the canaries; a published one is shown.
            setattr(unpublished_update, flag, False)
            setattr(unpublished_update, column_name, canaries.new(f"unpublished {column_name}"))
            continue
        setattr(flags_off, flag, False)
        setattr(flags_off, column_name, canaries.new(f"story.{column_name} with {flag} off"))
    # A story whose summary is not public: nothing of it is shown, whatever the other flags say.
    # A story whose consent is withdrawn: every flag on, and still nothing of it is shown.
    withdrawn.consent_status = ConsentStatus.WITHDRAWN
    withdrawn.consent_withdrawn_at = datetime.now(UTC)
    for story, why in ((summary_hidden, "summary not public"), (withdrawn, "consent withdrawn")):
        for (_table, column_name), flag in story_conditions.items():
            setattr(story, flag, True)
            setattr(story, column_name, canaries.new(f"story.{column_name}, {why}"))
        story.is_summary_public = story is withdrawn
        story.public_summary = _fill_text_set(
            session, story.public_summary, canaries, f"story.public_summary, {why}"
        )
        story.content_note = _fill_text_set(
            session, story.content_note, canaries, f"story.content_note, {why}"
        )
    return canaries
