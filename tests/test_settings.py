"""The settings table (search/settings.py): a value given, else its VNSEARCH_* variable, else the default."""

from __future__ import annotations

import os

import pytest

from search import settings
from search.settings import setting_value


def test_a_given_value_wins_then_the_environment_then_the_default():
    environ = {"VNSEARCH_PORT": "9000"}
    assert [setting_value("port", 8080, environ), setting_value("port", None, environ),
            setting_value("port", None, {"VNSEARCH_PORT": ""}), setting_value("port", None, {}),
            setting_value("refresh_seconds", None, {"VNSEARCH_REFRESH_SECONDS": "2.5"})] == [
        8080, 9000, 8000, 8000, 2.5]


def test_the_process_environment_is_read_when_none_is_given(monkeypatch):
    monkeypatch.setenv("VNSEARCH_WORKERS", "3")
    assert setting_value("workers") == 3
    assert setting_value("workers", environ={}) == settings.SETTINGS["workers"].default


def test_a_value_of_the_wrong_type_is_named_with_its_variable():
    with pytest.raises(ValueError) as refused:
        setting_value("port", None, {"VNSEARCH_PORT": "tám nghìn"})
    assert str(refused.value) == "VNSEARCH_PORT='tám nghìn' is not a valid int"


def test_the_cores_counted_where_the_process_cannot_ask_for_its_own(monkeypatch):
    # Not on Linux: no sched_getaffinity; os.cpu_count may not know either.
    monkeypatch.delattr(os, "sched_getaffinity")
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert settings._cpu_count() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert settings._cpu_count() == 1
