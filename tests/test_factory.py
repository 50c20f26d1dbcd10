from app.web import create_app
from app.core.config import TestConfig, from_env


def test_config_defaults_are_not_testing(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    assert not create_app().testing


def test_create_app_takes_a_test_config(app):
    assert app.testing


def test_environment_overrides_settings():
    settings = from_env(TestConfig, {"CANOE_DEFAULT_TIMEZONE": "Europe/London", "SECRET_KEY": "s", "CANOE_RATELIMIT_ENABLED": "true", "CANOE_MAX_TEXT": "12"})
    assert settings["CANOE_DEFAULT_TIMEZONE"] == "Europe/London"
    assert settings["SECRET_KEY"] == "s"
    assert settings["RATELIMIT_ENABLED"] is True
    assert settings["CANOE_MAX_TEXT"] == 12


def test_database_url_sets_the_database():
    assert from_env(TestConfig, {"DATABASE_URL": "postgresql+psycopg://x/y"})["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://x/y"


def test_home_page_answers(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Canoe" in response.data
