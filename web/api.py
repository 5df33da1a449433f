"""The public JSON API, ``/api/v1``: the same public data as the transparency pages.

Read-only, no personal data (no wallet addresses, no names, no receipt codes) and no lookup by
wallet. ``/api/v1/openapi.json`` describes it; tests/web/test_api_fuzz.py fuzzes it against that
document.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from ledger.reports.figures import Figures
from ledger.reports.public import (
    ArtworkTransparency,
    PendingTx,
    PublicLedger,
    get_artwork_transparency,
    public_records,
)
from ledger.reports.render import FIGURES, format_units
from web.transparency import MAX_QUERY, conditional, get_public_ledger

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _figures(ledger: PublicLedger, asset: str, figures: Figures) -> dict[str, Any]:
    values = figures.as_dict()
    record: dict[str, Any] = {"asset": asset}
    for name in FIGURES:
        record[name] = format_units(values[name], ledger.decimals.get(asset, 0))
        record[f"{name}_units"] = str(values[name])
    return record


def _pending(tx: PendingTx) -> dict[str, Any]:
    return {
        "chain_id": tx.chain_id,
        "tx_hash": tx.tx_hash,
        "block_number": tx.block_number,
        "seen_at": tx.seen_at.isoformat() if tx.seen_at else None,
        "status": "pending",
    }


def _json(data: dict[str, Any]) -> BaseResponse:
    return conditional(jsonify(data).get_data(), "application/json")


@bp.errorhandler(HTTPException)
def _api_error(error: HTTPException) -> tuple[Response, int]:
    code = error.code or 500
    return jsonify({"error": error.name}), code


@bp.get("/totals")
def totals() -> BaseResponse:
    ledger = get_public_ledger()
    return _json(
        {
            "last_verified": ledger.last_verified.isoformat() if ledger.last_verified else None,
            "totals": [_figures(ledger, a, f) for a, f in ledger.totals.rows()],
        }
    )


@bp.get("/beneficiaries")
def beneficiaries() -> BaseResponse:
    ledger = get_public_ledger()
    return _json(
        {
            "beneficiaries": [
                {
                    "key": key,
                    "name": ledger.beneficiary_names.get(key, key),
                    "is_verified": key in ledger.verified_beneficiaries,
                    "figures": [_figures(ledger, a, f) for a, f in figs.rows()],
                }
                for key, figs in sorted(ledger.by_beneficiary.items())
            ]
        }
    )


@bp.get("/artworks")
def artworks() -> BaseResponse:
    ledger = get_public_ledger()
    out = []
    for art in ledger.artworks.values():
        figs = ledger.by_artwork.get(art.id)
        out.append(
            {
                "code": art.public_code,
                "title": art.title,
                "figures": [_figures(ledger, a, f) for a, f in figs.rows()] if figs else [],
            }
        )
    return _json({"artworks": out})


def _artwork_data(ledger: PublicLedger, view: ArtworkTransparency) -> dict[str, Any]:
    entry_ids = {e.entry_id for e in view.entries}
    return {
        "figures": [_figures(ledger, a, f) for a, f in sorted(view.figures.items())],
        "beneficiaries": [
            {
                "key": key,
                "name": ledger.beneficiary_names.get(key, key),
                **_figures(ledger, asset, f),
            }
            for key, asset, f in view.beneficiaries
        ],
        "entries": [r for r in public_records(ledger) if r["entry_id"] in entry_ids],
        "pending": [_pending(p) for p in view.pending],
        "last_verified": view.last_verified.isoformat() if view.last_verified else None,
    }


@bp.get("/artworks/<code>")
def artwork(code: str) -> BaseResponse:
    ledger = get_public_ledger()
    ref = next((a for a in ledger.artworks.values() if a.public_code == code), None)
    if ref is None:
        abort(404)
    view = get_artwork_transparency(ledger, ref.id)
    return _json({"code": ref.public_code, "title": ref.title, **_artwork_data(ledger, view)})


@bp.get("/entries")
def entries() -> BaseResponse:
    """Every sale and payout; ``?tx_hash=`` keeps those with that transaction hash."""
    ledger = get_public_ledger()
    records = public_records(ledger)
    tx_hash = request.args.get("tx_hash", "").strip().lower()[:MAX_QUERY]
    if tx_hash:
        records = [r for r in records if r["tx_hash"].lower() == tx_hash]
    return _json({"entries": records})


@bp.get("/pending")
def pending() -> BaseResponse:
    return _json({"pending": [_pending(p) for p in get_public_ledger().pending]})


@bp.get("/openapi.json")
def openapi() -> BaseResponse:
    return _json(openapi_document())


def _figures_schema() -> dict[str, Any]:
    props: dict[str, Any] = {"asset": {"type": "string"}}
    for name in FIGURES:
        props[name] = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
        props[f"{name}_units"] = {"type": "string", "pattern": r"^-?[0-9]+$"}
    return {"type": "object", "required": list(props), "properties": props}


def _ok(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.0 description of ``/api/v1``."""
    ref = {
        name: {"$ref": f"#/components/schemas/{name}"}
        for name in ("Figures", "Entry", "Pending", "Error")
    }
    figures_list = {"type": "array", "items": ref["Figures"]}
    time = {"type": "string", "format": "date-time", "nullable": True}
    lang = {
        "name": "lang",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["kk", "ru", "en"]},
        "description": "Language of titles and names.",
    }
    not_found = _ok(ref["Error"], "Not found")

    def get(summary: str, schema: dict[str, Any], extra: list[Any] | None = None) -> Any:
        return {
            "get": {
                "summary": summary,
                "parameters": [lang, *(extra or [])],
                "responses": {"200": _ok(schema, "OK"), "304": {"description": "Not modified"}},
            }
        }

    def obj(**props: Any) -> dict[str, Any]:
        return {"type": "object", "required": list(props), "properties": props}

    artwork_path = get(
        "One artwork: figures, beneficiaries, sales and payouts, pending",
        obj(
            code={"type": "string"},
            title={"type": "string"},
            figures=figures_list,
            beneficiaries={"type": "array", "items": {"type": "object"}},
            entries={"type": "array", "items": ref["Entry"]},
            pending={"type": "array", "items": ref["Pending"]},
            last_verified=time,
        ),
        [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
    )
    artwork_path["get"]["responses"]["404"] = not_found
    entry_props: dict[str, Any] = {
        "entry_id": {"type": "integer"},
        "date": {"type": "string", "format": "date-time"},
        "kind": {"type": "string", "enum": ["sale", "disbursement"]},
        "asset": {"type": "string"},
        "amount": {"type": "string"},
        "amount_units": {"type": "string"},
        "pledged": {"type": "string"},
        "pledged_units": {"type": "string"},
        "artwork": {"type": "string"},
        "beneficiary": {"type": "string"},
        "proof": {"type": "string", "enum": ["chain", "bank", "statement", "manual"]},
        "chain_id": {"oneOf": [{"type": "integer"}, {"type": "string", "enum": [""]}]},
        "tx_hash": {"type": "string"},
        "bank_reference": {"type": "string"},
        "document_sha256": {"type": "string"},
        "is_reversal": {"type": "boolean"},
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Public ledger API",
            "version": "1",
            "description": (
                "Public figures, sales and payouts with their proof. Amounts are exact decimals "
                "per asset, never converted; *_units are integers in the asset's smallest unit. "
                "No personal data and no wallet addresses. A transaction on a public chain is "
                "visible to anyone."
            ),
        },
        "paths": {
            "/api/v1/totals": get(
                "The four figures per asset for the whole initiative",
                obj(last_verified=time, totals=figures_list),
            ),
            "/api/v1/beneficiaries": get(
                "Routed, disbursed and outstanding per support organisation",
                obj(
                    beneficiaries={
                        "type": "array",
                        "items": obj(
                            key={"type": "string"},
                            name={"type": "string"},
                            is_verified={"type": "boolean"},
                            figures=figures_list,
                        ),
                    }
                ),
            ),
            "/api/v1/artworks": get(
                "The four figures per asset for every artwork",
                obj(
                    artworks={
                        "type": "array",
                        "items": obj(
                            code={"type": "string"},
                            title={"type": "string"},
                            figures=figures_list,
                        ),
                    }
                ),
            ),
            "/api/v1/artworks/{code}": artwork_path,
            "/api/v1/entries": get(
                "Every sale and payout with its proof",
                obj(entries={"type": "array", "items": ref["Entry"]}),
                [
                    {
                        "name": "tx_hash",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "Keep only entries with this transaction hash.",
                    }
                ],
            ),
            "/api/v1/pending": get(
                "Chain transactions seen but not final yet (not counted)",
                obj(pending={"type": "array", "items": ref["Pending"]}),
            ),
            "/api/v1/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {
                        "200": _ok({"type": "object"}, "OK"),
                        "304": {"description": "Not modified"},
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Figures": _figures_schema(),
                "Entry": {
                    "type": "object",
                    "required": list(entry_props),
                    "properties": entry_props,
                },
                "Pending": obj(
                    chain_id={"type": "integer"},
                    tx_hash={"type": "string"},
                    block_number={"type": "integer"},
                    seen_at=time,
                    status={"type": "string", "enum": ["pending"]},
                ),
                "Error": obj(error={"type": "string"}),
            }
        },
    }
