from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ledger import migrate
from ledger.config import Settings
from ledger.db import engine_from_settings, make_session_factory, session_scope
from ledger.demo.load import load_demo
from web import create_app
from web.translations_build import compile_translations


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations() -> None:
    compile_translations()


@pytest.fixture
def demo_app(settings: Settings, instance_dir: Path) -> Iterator[Flask]:
    engine = engine_from_settings(settings, writer=True)
    migrate.upgrade(engine)
    with session_scope(make_session_factory(engine)) as session:
        load_demo(session)
    engine.dispose()
    app = create_app(settings=settings, test_config={"TESTING": True})
    yield app


@pytest.fixture
def client(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client()
