"""Which stored texts may ever reach the public, column by column.

Every text column of every table is named here once, in one of three groups. A test
(tests/web/test_privacy_crawl.py) fails when a column is added without being placed, seeds a
unique canary into every private column and every hidden conditional one, and crawls every
public URL (pages, API, exports) to prove none of them shows up.
"""

from __future__ import annotations

# Never on a public page, in an API response or in a default export.
PRIVATE_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    {
        ("story", "private_notes"),
        ("person_contact", "name"),
        ("person_contact", "email"),
        ("person_contact", "phone"),
        ("person_contact", "wallet_label"),
        ("person_contact", "notes"),
        # Wallet labels are the organisers' names for wallets ("Aigerim's wallet" is possible).
        ("wallet", "label"),
        # The buyer's wallet as the chain sync last saw it: personal data.
        ("nft_edition", "holder"),
        # A beneficiary's bank details and registration number: the number finds the
        # organisation's registered address in public registers, and a shelter's address is
        # kept quiet. The page says "verified" (beneficiary.is_verified) instead.
        ("beneficiary", "legal_identifier"),
        ("beneficiary", "bank_reference"),
        # A gift's receipt code is the donor's own key to their receipt: shown to them only.
        ("gift", "receipt_code"),
        # Uploaded file names are whatever the organiser's computer called the file.
        ("document", "filename"),
        # The console's accounts and its audit log are for organisers, admins and auditors only:
        # usernames are often real names, and before/after values can hold any catalogue field.
        ("console_user", "username"),
        ("console_user", "password_hash"),
        ("console_user", "totp_secret"),
        ("audit_log", "actor"),
        ("audit_log", "summary"),
        ("audit_log", "before"),
        ("audit_log", "after"),
        ("audit_log", "target_id"),
    }
)

# Public only while the flag (the value) is true (for a story: and its consent is given).
CONDITIONAL_COLUMNS: dict[tuple[str, str], str] = {
    ("story", "subject_name"): "is_subject_name_public",
    ("story", "consent_statement"): "is_consent_statement_public",
    # A beneficiary's report back: public only once an organiser publishes it.
    ("beneficiary_update", "text"): "is_published",
    ("beneficiary_update", "used_for"): "is_published",
}

# Nothing personal: catalogue texts, chain data, codes, ledger wording (which never names a
# person: the journal points at person.ref, a random reference).
NOT_PERSONAL_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    {
        ("account", "description"),
        ("audit_log", "action"),
        ("audit_log", "target_type"),
        ("audit_log", "via"),
        ("console_user", "role"),
        ("account", "name"),
        ("artist", "key"),
        ("artwork", "dimensions_text"),
        ("artwork", "key"),
        ("artwork", "public_code"),
        ("artwork_image", "path"),
        ("asset", "code"),
        ("asset", "contract"),
        ("asset", "kind"),
        ("asset", "symbol"),
        ("beneficiary", "key"),
        ("beneficiary_update", "document_sha256"),
        ("beneficiary_update", "language"),
        ("chain_block", "hash"),
        ("chain_block", "parent_hash"),
        ("chain_log", "address"),
        ("chain_log", "block_hash"),
        ("chain_log", "data"),
        ("chain_log", "topic0"),
        ("chain_log", "topic1"),
        ("chain_log", "topic2"),
        ("chain_log", "topic3"),
        ("chain_log", "tx_hash"),
        ("change_stamp", "name"),  # "public": the name of a counter, no data
        ("checkpoint", "root"),
        ("collection", "contract"),
        # A bank payment reference is the proof donors check (issue: "references for bank
        # transfers"); organisers enter the bank's reference, never a person's name.
        ("disbursement", "document_sha256"),
        ("disbursement", "method"),
        ("disbursement", "reference"),
        ("document", "sha256"),
        # A rate and where it came from (a central bank, an exchange): no person in either.
        ("exchange_rate", "rate"),
        ("exchange_rate", "source"),
        ("collection", "key"),
        ("collection", "name"),
        ("collection", "standard"),
        ("hotline", "hours"),
        ("routing_record", "channel"),
        ("routing_record", "status"),
        ("hotline", "languages"),
        ("hotline", "number"),
        ("hotline", "region"),
        ("hotline", "source"),
        ("initiative", "initiator"),
        ("initiative", "key"),
        ("initiative", "name"),
        ("initiative", "opened"),
        ("initiative", "venue"),
        ("journal_entry", "block_hash"),
        ("journal_entry", "content_hash"),
        ("journal_entry", "description"),
        ("journal_entry", "document_sha256"),
        ("journal_entry", "evidence_kind"),
        ("journal_entry", "idempotency_key"),
        ("journal_entry", "tx_hash"),
        ("nft_edition", "status"),
        ("person", "ref"),
        ("posting", "memo"),
        ("split_rule", "note"),
        ("split_rule", "scope"),
        ("story", "consent_status"),
        ("sync_cursor", "fetched_hash"),
        ("sync_cursor", "filters_hash"),
        ("sync_cursor", "halted_reason"),
        # A sync pass's error: a node's message, with RPC URLs cut to their host (no API key).
        ("sync_run", "error"),
        ("text_variant", "lang"),
        ("text_variant", "status"),
        # Texts carry their own publication rule: a story's summary and content note are
        # shown only under the story's flags and consent (tested with canaries too).
        ("text_variant", "text"),
        ("wallet", "address"),
        ("wallet", "owner"),
        ("wallet", "role"),
        # The reconciliation inbox: states, fixed reasons and references to ledger rows
        # ("disbursement:12", a transaction hash, a statement's SHA-256 and row); the history
        # names who acted by console user id only.
        ("reconcile_item", "source"),
        ("reconcile_item", "state"),
        ("reconcile_item", "reason"),
        ("reconcile_item", "match_kind"),
        ("reconcile_item", "match_ref"),
        ("reconcile_event", "via"),
        ("reconcile_event", "from_state"),
        ("reconcile_event", "to_state"),
        ("reconcile_event", "reason"),
        ("reconcile_event", "match_kind"),
        ("reconcile_event", "match_ref"),
        # Saved column mappings: column names and account names of a CSV format.
        ("import_mapping", "name"),
        ("import_mapping", "toml"),
    }
)
