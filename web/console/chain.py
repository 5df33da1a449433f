"""Chain: how far the sync has come on each chain, from what is stored (no RPC call per view).

"Check the head now" asks the configured endpoints once, with a short timeout, and shows the
answer next to the stored figures without storing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import render_template
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired

from ledger.chain.rpc import RpcClient
from ledger.chain.status import get_chain_status, redact_urls
from ledger.errors import LedgerError
from ledger.models import Role
from web.console.access import console_blueprint, requires
from web.database import get_session, get_settings

bp = console_blueprint("console_chain", __name__, "/console/chain")

CHECK_TIMEOUT_S = 3.0


class CheckHeadForm(FlaskForm):
    check = HiddenField(validators=[DataRequired()])


@dataclass(frozen=True)
class HeadCheck:
    head: int | None
    finalized: int | None
    error: str | None
    at: datetime


def fetch_head_now() -> HeadCheck:
    """Ask the endpoints for the latest and finalized blocks, once, with a short timeout."""
    chain = get_settings().chain
    client = RpcClient(chain.rpc_urls, timeout_s=CHECK_TIMEOUT_S, max_attempts=2)
    at = datetime.now(UTC)
    try:
        latest = client.fetch_block_header("latest")
        if chain.confirmations:
            final = max(latest.number - chain.confirmations, -1) if latest else None
        else:
            header = client.fetch_block_header("finalized")
            final = header.number if header else None
    except LedgerError as exc:
        return HeadCheck(None, None, redact_urls(str(exc)), at)
    finally:
        client.close()
    return HeadCheck(latest.number if latest else None, final, None, at)


def _page(
    form: CheckHeadForm, check: HeadCheck | None = None, status: int = 200
) -> tuple[str, int]:
    settings = get_settings()
    return render_template(
        "console/chain.html",
        chains=get_chain_status(get_session(), datetime.now(UTC)),
        configured_chain=settings.chain.chain_id,
        confirmations=settings.chain.confirmations,
        form=form,
        check=check,
    ), status


@bp.get("/")
@requires(Role.AUDITOR)
def status() -> tuple[str, int]:
    return _page(CheckHeadForm())


@bp.post("/check-head")
@requires(Role.AUDITOR)
def check_head() -> tuple[str, int]:
    """Changes nothing (so auditors may): one RPC round trip, shown and not stored."""
    form = CheckHeadForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    return _page(form, fetch_head_now())
