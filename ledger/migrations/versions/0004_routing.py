"""routing records, disbursements, documents, beneficiary updates, gifts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", ledger.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_document_sha256_len")),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_document")),
    )
    op.create_table(
        "beneficiary_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("beneficiary_id", sa.Integer(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("used_for", sa.String(length=300), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("is_published", sa.Boolean(), nullable=False),
        sa.Column("created_at", ledger.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "language IN ('kk', 'ru', 'en')", name=op.f("ck_beneficiary_update_language")
        ),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiary.id"],
            name=op.f("fk_beneficiary_update_beneficiary_id_beneficiary"),
        ),
        sa.ForeignKeyConstraint(
            ["document_sha256"],
            ["document.sha256"],
            name=op.f("fk_beneficiary_update_document_sha256_document"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_beneficiary_update")),
    )
    with op.batch_alter_table("beneficiary_update", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_beneficiary_update_beneficiary_id"), ["beneficiary_id"], unique=False
        )

    op.create_table(
        "disbursement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("beneficiary_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("amount", ledger.types.Amount(precision=78, scale=0), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "chain",
                "bank",
                name="disbursement_method",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", ledger.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "method <> 'bank' OR (reference IS NOT NULL AND document_sha256 IS NOT NULL)",
            name=op.f("ck_disbursement_bank_has_proof"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_disbursement_positive")),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_disbursement_asset_id_asset")
        ),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiary.id"],
            name=op.f("fk_disbursement_beneficiary_id_beneficiary"),
        ),
        sa.ForeignKeyConstraint(
            ["document_sha256"],
            ["document.sha256"],
            name=op.f("fk_disbursement_document_sha256_document"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entry.id"], name=op.f("fk_disbursement_entry_id_journal_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursement")),
        sa.UniqueConstraint(
            "entry_id",
            "beneficiary_id",
            "asset_id",
            name=op.f("uq_disbursement_entry_id_beneficiary_id_asset_id"),
        ),
    )
    op.create_table(
        "gift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("receipt_code", sa.String(length=40), nullable=False),
        sa.Column("created_at", ledger.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entry.id"], name=op.f("fk_gift_entry_id_journal_entry")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_gift_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gift")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_gift_entry_id")),
        sa.UniqueConstraint("receipt_code", name=op.f("uq_gift_receipt_code")),
    )
    with op.batch_alter_table("gift", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gift_person_id"), ["person_id"], unique=False)

    op.create_table(
        "routing_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "routed",
                "nothing_received",
                "no_rule",
                "reversed",
                "reversal",
                name="routing_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("collection_id", sa.Integer(), nullable=True),
        sa.Column("artwork_id", sa.Integer(), nullable=True),
        sa.Column("edition_id", sa.Integer(), nullable=True),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("routing_entry_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", ledger.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'routed') = (routing_entry_id IS NOT NULL AND rule_id IS NOT NULL) OR (status = 'reversed' AND routing_entry_id IS NOT NULL)",
            name=op.f("ck_routing_record_routed_has_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["artwork_id"], ["artwork.id"], name=op.f("fk_routing_record_artwork_id_artwork")
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collection.id"],
            name=op.f("fk_routing_record_collection_id_collection"),
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["nft_edition.id"],
            name=op.f("fk_routing_record_edition_id_nft_edition"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entry.id"],
            name=op.f("fk_routing_record_entry_id_journal_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["routing_entry_id"],
            ["journal_entry.id"],
            name=op.f("fk_routing_record_routing_entry_id_journal_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["split_rule.id"], name=op.f("fk_routing_record_rule_id_split_rule")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_record")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_routing_record_entry_id")),
        sa.UniqueConstraint("routing_entry_id", name=op.f("uq_routing_record_routing_entry_id")),
    )
    with op.batch_alter_table("routing_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_routing_record_artwork_id"), ["artwork_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("routing_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_record_artwork_id"))

    op.drop_table("routing_record")
    with op.batch_alter_table("gift", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gift_person_id"))

    op.drop_table("gift")
    op.drop_table("disbursement")
    with op.batch_alter_table("beneficiary_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_beneficiary_update_beneficiary_id"))

    op.drop_table("beneficiary_update")
    op.drop_table("document")
